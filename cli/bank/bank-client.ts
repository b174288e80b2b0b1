import { credentials, Metadata, type ServiceError, type ClientReadableStream } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { batchSigningBytes } from '../../protocol/bank-request-signing.ts';
import { loadBankApi } from '../../protocol/bank-proto.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { DrexError } from '../../protocol/errors.ts';

/** A batch event as the client sees it (state without the BATCH_STATE_ prefix). */
export interface WatchedEvent {
  seq: number;
  state: string;
  verified: number;
  transfers: number;
  message: string;
  settlementTx: string;
  block: number;
  errorCode: string;
  atMs: number;
}

/** A gRPC error with the protocol's error code and field from the trailers. */
export class BankApiError extends DrexError {
  override name = 'BankApiError';
  constructor(
    readonly grpcCode: number,
    readonly code: string,
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

function apiError(e: ServiceError): BankApiError {
  const code = String(e.metadata?.get('drex-error-code')[0] ?? 'UNKNOWN');
  const field = e.metadata?.get('drex-field')[0];
  return new BankApiError(e.code, code, field === undefined ? undefined : String(field), e.details || e.message);
}

const FINAL = new Set(['SETTLED', 'FAILED']);

type Callback<T> = (err: ServiceError | null, res: T) => void;
/** The dynamically loaded BatchService client's methods. */
interface BatchServiceStub {
  SubmitBatch(req: Record<string, unknown>, md: Metadata, cb: Callback<{ batch_id: string; state: string; duplicate: boolean }>): void;
  GetBatch(req: { batch_id: string }, cb: Callback<Record<string, string | number>>): void;
  WatchBatch(req: { batch_id: string; from_seq: string }): ClientReadableStream<Record<string, string | number>>;
  close(): void;
}

/**
 * A bank's client of the BatchService: signs SubmitBatch requests with the bank's Ed25519 key, and
 * follows batches.
 */
export class BankClient {
  private readonly client: BatchServiceStub;

  constructor(
    readonly o: {
      address: string;
      bankId: string;
      identity: Identity;
      tls?: { ca: string; cert: string; key: string };
    },
  ) {
    const { Client } = loadBankApi();
    const creds = o.tls
      ? credentials.createSsl(readFileSync(o.tls.ca), readFileSync(o.tls.key), readFileSync(o.tls.cert))
      : credentials.createInsecure();
    this.client = new Client(o.address, creds) as unknown as BatchServiceStub;
  }

  /** Signs and submits a batch; retrying with the same key returns the same batch id. */
  submit(transfers: WireIntent[], idempotencyKey: string, opts: { timestampMs?: number; signature?: Buffer } = {}): Promise<{ batchId: string; state: string; duplicate: boolean }> {
    const timestampMs = String(opts.timestampMs ?? Date.now());
    const signature =
      opts.signature ??
      Buffer.from(this.o.identity.sign(batchSigningBytes({ bankId: this.o.bankId, idempotencyKey, timestampMs, transfers })), 'hex');
    const req = { bank_id: this.o.bankId, idempotency_key: idempotencyKey, transfers, timestamp_ms: timestampMs, signature };
    return this.submitRaw(req).then((r) => ({ batchId: r.batch_id, state: r.state.replace('BATCH_STATE_', ''), duplicate: r.duplicate }));
  }

  /** Sends a request as given (for tests of the server's validation). */
  submitRaw(req: Record<string, unknown>): Promise<{ batch_id: string; state: string; duplicate: boolean }> {
    return new Promise((resolve, reject) =>
      this.client.SubmitBatch(req, new Metadata(), (err, res) =>
        err ? reject(apiError(err)) : resolve(res),
      ),
    );
  }

  get(batchId: string): Promise<Record<string, string | number>> {
    return new Promise((resolve, reject) =>
      this.client.GetBatch({ batch_id: batchId }, (err, res) => (err ? reject(apiError(err)) : resolve(res))),
    );
  }

  /**
   * Streams the batch's events to `onEvent` until the server ends the stream (the batch is final) and
   * returns them all. Reconnects from the last seen event if the stream breaks.
   */
  async watch(batchId: string, onEvent: (e: WatchedEvent) => void = () => {}, opts: { finalStates?: Set<string>; retries?: number } = {}): Promise<WatchedEvent[]> {
    const events: WatchedEvent[] = [];
    let retries = opts.retries ?? 30;
    const final = opts.finalStates ?? FINAL;
    for (;;) {
      const from = events.at(-1)?.seq ?? 0;
      try {
        await new Promise<void>((resolve, reject) => {
          const stream: ClientReadableStream<Record<string, string | number>> = this.client.WatchBatch({ batch_id: batchId, from_seq: String(from) });
          stream.on('data', (m: Record<string, string | number>) => {
            const e: WatchedEvent = {
              seq: Number(m.seq),
              state: String(m.state).replace('BATCH_STATE_', ''),
              verified: Number(m.verified),
              transfers: Number(m.transfers),
              message: String(m.message),
              settlementTx: String(m.settlement_tx),
              block: Number(m.block),
              errorCode: String(m.error_code),
              atMs: Number(m.at_ms),
            };
            events.push(e);
            onEvent(e);
            if (final.has(e.state)) {
              stream.cancel();
              resolve();
            }
          });
          stream.on('end', resolve);
          stream.on('error', (err: ServiceError) => reject(apiError(err)));
        });
        return events;
      } catch (err) {
        const e = err as BankApiError;
        if (e.code === 'BATCH_NOT_FOUND' || retries-- <= 0) throw err;
        if (events.length && final.has(events.at(-1)!.state)) return events;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  close(): void {
    this.client.close();
  }
}
