import type { Redis } from 'ioredis';
import { status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Crypto } from '../../circuits/model/crypto.ts';
import { ErrorCode } from '../../protocol/error-codes.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { BankRegistry } from '../banks/bank-registry.ts';
import type { BatchEventRecord, BatchRecord, BatchStore } from '../store/batch-store.ts';
import { isFinal, type BatchStateName } from '../store/batch-states.ts';
import type { Metrics } from '../metrics.ts';
import { ApiError } from './api-error.ts';
import type { EventFanout } from './event-fanout.ts';
import { NonceGuard } from './nonce-guard.ts';
import { OpenBatchQuota } from './open-batch-quota.ts';
import { authenticateRead, type ReadRequestWire } from './read-auth.ts';
import { tlsBankOf } from './tls-peer.ts';
import { WatcherLimit } from './watcher-limit.ts';
import { validateSubmit, type SubmitBatchWire, type SubmitLimits } from './validate-submit.ts';

export interface BatchServiceOptions {
  crypto: Crypto;
  banks: BankRegistry;
  store: BatchStore;
  /** The store's Redis connection (for request nonces and open-batch quotas under the store's prefix). */
  redis: Redis;
  /** Wakes status watchers over one shared Redis connection. */
  fanout: EventFanout;
  limits: SubmitLimits;
  quotas?: BankQuotas;
  log: Logger;
  metrics: Metrics;
  /** True when a ledger settles batches (VERIFIED is then not final). */
  settles: boolean;
  /** Called after a batch is persisted, to wake the planner. */
  onAccepted: (batchId: string) => void;
  /** Whose batches (batch ids are unique per deployment). */
  deployment: string;
  /** What GetDeployment answers; its domain is the one every intent signature must cover. */
  ledger: DeploymentInfo;
}

/** The deployment a bank signs intents for (GetDeployment). */
export interface DeploymentInfo {
  /** The field element intent signatures cover: the settlement contract's `domain()`. */
  domain: bigint;
  /** k of the circuit. */
  transfersPerProof: number;
  minter: bigint;
  complianceLimit: bigint;
  /** Without a ledger: chain id 0 and no contract. */
  chainId: number;
  settlement?: string;
}

const wireState = (s: BatchStateName) => `BATCH_STATE_${s}`;

function batchMessage(b: BatchRecord) {
  return {
    batch_id: b.id,
    bank_id: b.bankId,
    state: wireState(b.state),
    transfers: b.transfers,
    verified: b.verified,
    proofs: b.proofs,
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
    proofs: e.proofs,
    message: e.message,
    settlement_tx: e.settlementTx,
    block: String(e.block),
    error_code: e.errorCode,
    at_ms: String(e.atMs),
  };
}

/** Caps per bank on the bank API. */
export interface BankQuotas {
  /** Status watches one bank may hold open at once (per orchestrator). */
  maxWatchersPerBank: number;
  /** Batches one bank may have submitted that are not final yet. */
  maxOpenBatchesPerBank: number;
}

export const DEFAULT_QUOTAS: BankQuotas = { maxWatchersPerBank: 16, maxOpenBatchesPerBank: 32 };

/** The answer to a batch the caller may not see: the same as to one that does not exist. */
const notFound = (id: string) => new ApiError(status.NOT_FOUND, ErrorCode.BATCH_NOT_FOUND, `no batch "${id.slice(0, 80)}"`, 'batch_id');

/**
 * The gRPC implementation of drex.swarm.v1.BatchService. Every call is authenticated (mTLS, or the
 * bank's signature with a fresh timestamp and an unused nonce); a bank sees only its own batches.
 */
export function batchService(o: BatchServiceOptions): UntypedServiceImplementation {
  const quotas = o.quotas ?? DEFAULT_QUOTAS;
  const nonces = new NonceGuard({ redis: o.redis, prefix: o.store.prefix, maxClockSkewMs: o.limits.maxClockSkewMs });
  const openBatches = new OpenBatchQuota({ redis: o.redis, prefix: o.store.prefix, store: o.store, settles: o.settles, maxPerBank: quotas.maxOpenBatchesPerBank });
  const watchers = new WatcherLimit(quotas.maxWatchersPerBank);
  const readAuth = { banks: o.banks, nonces, maxClockSkewMs: o.limits.maxClockSkewMs };

  const refused = (err: ApiError) => {
    o.metrics.requestsRejected.inc({ code: err.code });
    o.log.info('request refused', { code: err.code, field: err.field, error: err.message });
  };
  const fail = (cb: sendUnaryData<unknown>, err: unknown) => {
    if (err instanceof ApiError) {
      refused(err);
      cb(err.toServiceError());
      return;
    }
    o.log.error('request failed', { error: err });
    cb({ code: status.UNAVAILABLE, details: `[${ErrorCode.UNAVAILABLE}] ${(err as Error).message}` });
  };

  /**
   * Ends a stream with the error's status (an ApiError's code and trailers; UNAVAILABLE for anything
   * else). grpc-js sends the status of an 'error' event; `destroy()` would end the stream without one.
   */
  const endWith = (call: ServerWritableStream<unknown, unknown>, err: unknown) => {
    if (err instanceof ApiError) {
      refused(err);
      call.emit('error', err.toServiceError());
      return;
    }
    o.log.error('watch failed', { error: err });
    call.emit('error', { code: status.UNAVAILABLE, details: `[${ErrorCode.UNAVAILABLE}] ${(err as Error).message}` });
  };

  /** The batch `id` when it belongs to `bankId`; NOT_FOUND otherwise. */
  const ownBatch = async (bankId: string, id: string): Promise<BatchRecord> => {
    const b = await o.store.get(id);
    if (!b || b.bankId !== bankId) throw notFound(id);
    return b;
  };

  return {
    SubmitBatch: async (call: ServerUnaryCall<SubmitBatchWire, unknown>, cb: sendUnaryData<unknown>) => {
      try {
        const v = validateSubmit(o.crypto, o.banks, call.request, { domain: o.ledger.domain, minter: o.ledger.minter, limits: o.limits, tlsBankId: tlsBankOf(o.banks, call), deployment: o.deployment });
        if (v.requestNonce !== undefined) await nonces.claim(v.bankId, v.requestNonce);
        // A retry of a stored batch is answered whatever the quota.
        const reserved = !(await o.store.get(v.batchId));
        if (reserved) await openBatches.reserve(v.bankId, v.batchId);
        const out = await o.store.create(v).catch(async (err: unknown) => {
          if (reserved) await openBatches.release(v.bankId, v.batchId).catch(() => {});
          throw err;
        });
        if (reserved && out.kind !== 'created' && out.kind !== 'duplicate') await openBatches.release(v.bankId, v.batchId);
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

    GetBatch: async (call: ServerUnaryCall<ReadRequestWire, unknown>, cb: sendUnaryData<unknown>) => {
      try {
        const bankId = await authenticateRead(readAuth, 'GetBatch', call.request, tlsBankOf(o.banks, call));
        cb(null, batchMessage(await ownBatch(bankId, String(call.request.batch_id ?? ''))));
      } catch (err) {
        fail(cb, err);
      }
    },

    GetDeployment: async (call: ServerUnaryCall<ReadRequestWire, unknown>, cb: sendUnaryData<unknown>) => {
      try {
        await authenticateRead(readAuth, 'GetDeployment', call.request, tlsBankOf(o.banks, call));
        const l = o.ledger;
        cb(null, {
          deployment: o.deployment,
          domain: String(l.domain),
          transfers_per_proof: l.transfersPerProof,
          minter: String(l.minter),
          compliance_limit: String(l.complianceLimit),
          chain_id: String(l.chainId),
          settlement_contract: l.settlement ?? '',
        });
      } catch (err) {
        fail(cb, err);
      }
    },

    WatchBatch: async (call: ServerWritableStream<ReadRequestWire, unknown>) => {
      const id = String(call.request.batch_id ?? '');
      const fromSeq = Number(call.request.from_seq ?? 0);
      let release: (() => void) | undefined;
      let cancelled = false;
      call.on('cancelled', () => {
        cancelled = true;
        release?.();
      });
      try {
        const bankId = await authenticateRead(readAuth, 'WatchBatch', call.request, tlsBankOf(o.banks, call));
        await ownBatch(bankId, id);
        release = watchers.acquire(bankId);
        if (cancelled) release();
        o.metrics.watchers.set(watchers.total());
      } catch (err) {
        endWith(call, err);
        return;
      }
      let last = '0';
      try {
        while (!cancelled) {
          const events = await o.store.events(id, last);
          if (events.length === 0) {
            await o.fanout.wait(id, last, 5_000);
            continue;
          }
          for (const e of events) {
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
        if (!cancelled) endWith(call, err);
      } finally {
        release?.();
        o.metrics.watchers.set(watchers.total());
      }
    },
  };
}
