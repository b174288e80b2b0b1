import { status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Crypto } from '../../circuits/model/crypto.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { BankRegistry } from '../banks/bank-registry.ts';
import type { BatchEventRecord, BatchRecord, BatchStore } from '../store/batch-store.ts';
import { isFinal, type BatchStateName } from '../store/batch-states.ts';
import type { Metrics } from '../metrics.ts';
import { ApiError } from './api-error.ts';
import { validateSubmit, type SubmitBatchWire, type SubmitLimits } from './validate-submit.ts';

export interface BatchServiceOptions {
  crypto: Crypto;
  banks: BankRegistry;
  store: BatchStore;
  limits: SubmitLimits;
  log: Logger;
  metrics: Metrics;
  /** True when a ledger settles batches (VERIFIED is then not final). */
  settles: boolean;
  /** Called after a batch is persisted, to wake the planner. */
  onAccepted: (batchId: string) => void;
  /** Whose batches (batch ids are unique per deployment). */
  deployment: string;
}

const wireState = (s: BatchStateName) => `BATCH_STATE_${s}`;

function batchMessage(b: BatchRecord) {
  return {
    batch_id: b.id,
    bank_id: b.bankId,
    state: wireState(b.state),
    transfers: b.transfers,
    verified: b.verified,
    root_before: b.rootBefore,
    root_after: b.rootAfter,
    settlement_tx: b.settlementTx,
    block: String(b.block),
    error_code: b.errorCode,
    error: b.error,
    created_ms: String(b.createdMs),
    updated_ms: String(b.updatedMs),
  };
}

function eventMessage(batchId: string, e: BatchEventRecord) {
  return {
    batch_id: batchId,
    seq: String(e.seq),
    state: wireState(e.state),
    verified: e.verified,
    transfers: e.transfers,
    message: e.message,
    settlement_tx: e.settlementTx,
    block: String(e.block),
    error_code: e.errorCode,
    at_ms: String(e.atMs),
  };
}

/** The common name of a verified mTLS client certificate, if the call came over mTLS. */
function tlsCommonName(call: ServerUnaryCall<unknown, unknown>): string | undefined {
  try {
    const cert = call.getAuthContext?.().sslPeerCertificate;
    const cn = cert?.subject?.CN;
    return Array.isArray(cn) ? cn[0] : cn;
  } catch {
    return undefined;
  }
}

/** The gRPC implementation of drex.swarm.v1.BatchService. */
export function batchService(o: BatchServiceOptions): UntypedServiceImplementation {
  const fail = (cb: sendUnaryData<unknown>, err: unknown) => {
    if (err instanceof ApiError) {
      o.metrics.requestsRejected.inc({ code: err.code });
      o.log.info('request refused', { code: err.code, field: err.field, error: err.message });
      cb(err.toServiceError());
      return;
    }
    o.log.error('request failed', { error: err });
    cb({ code: status.UNAVAILABLE, details: `[${ErrorCode.UNAVAILABLE}] ${(err as Error).message}` });
  };

  const findTlsBank = (cn: string | undefined) => {
    if (!cn) return undefined;
    for (const b of o.banks.values()) if ((b.tlsCommonName ?? b.id) === cn) return b.id;
    return undefined;
  };

  return {
    SubmitBatch: async (call: ServerUnaryCall<SubmitBatchWire, unknown>, cb: sendUnaryData<unknown>) => {
      try {
        const v = validateSubmit(o.crypto, o.banks, call.request, { limits: o.limits, tlsBankId: findTlsBank(tlsCommonName(call)), deployment: o.deployment });
        const out = await o.store.create(v);
        switch (out.kind) {
          case 'created':
            o.metrics.batchesSubmitted.inc({ outcome: 'created' });
            o.log.info('batch accepted', { batchId: v.batchId, bank: v.bankId, transfers: v.intents.length });
            o.onAccepted(v.batchId);
            cb(null, { batch_id: v.batchId, state: wireState('ACCEPTED'), duplicate: false });
            return;
          case 'duplicate':
            o.metrics.batchesSubmitted.inc({ outcome: 'duplicate' });
            cb(null, { batch_id: v.batchId, state: wireState(out.state), duplicate: true });
            return;
          case 'conflict':
            throw new ApiError(status.FAILED_PRECONDITION, ErrorCode.IDEMPOTENCY_CONFLICT, 'this idempotency key was already used for a batch with other transfers', 'idempotency_key');
          case 'nonce-used':
            throw new ApiError(status.ALREADY_EXISTS, ErrorCode.NONCE_ALREADY_USED, 'this sender already used this nonce in an earlier batch', `transfers[${out.index}].nonce`);
        }
      } catch (err) {
        fail(cb, err);
      }
    },

    GetBatch: async (call: ServerUnaryCall<{ batch_id: string }, unknown>, cb: sendUnaryData<unknown>) => {
      try {
        const b = await o.store.get(String(call.request.batch_id ?? ''));
        if (!b) throw new ApiError(status.NOT_FOUND, ErrorCode.BATCH_NOT_FOUND, `no batch "${String(call.request.batch_id).slice(0, 80)}"`, 'batch_id');
        cb(null, batchMessage(b));
      } catch (err) {
        fail(cb, err);
      }
    },

    WatchBatch: async (call: ServerWritableStream<{ batch_id: string; from_seq: string }, unknown>) => {
      const id = String(call.request.batch_id ?? '');
      const fromSeq = Number(call.request.from_seq ?? 0);
      const b = await o.store.get(id).catch(() => null);
      if (!b) {
        const e = new ApiError(status.NOT_FOUND, ErrorCode.BATCH_NOT_FOUND, `no batch "${id.slice(0, 80)}"`, 'batch_id');
        call.destroy(Object.assign(new Error(e.message), e.toServiceError()));
        return;
      }
      const watcher = o.store.watchEvents(id);
      let cancelled = false;
      call.on('cancelled', () => {
        cancelled = true;
        watcher.close();
      });
      let last = '0';
      try {
        while (!cancelled) {
          for (const e of await watcher.next(last, 5000)) {
            last = e.streamId;
            if (e.seq <= fromSeq) continue;
            call.write(eventMessage(id, e));
            if (isFinal(e.state, o.settles)) {
              call.end();
              return;
            }
          }
        }
      } catch (err) {
        if (!cancelled) o.log.warn('watch stream ended with an error', { batchId: id, error: err });
        if (!cancelled) call.destroy(err as Error);
      } finally {
        watcher.close();
      }
    },
  };
}
