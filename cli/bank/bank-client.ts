import { credentials, Metadata, status, type ServiceError, type ClientReadableStream } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { batchSigningBytes, readSigningBytes } from '../../protocol/bank-request-signing.ts';
import { loadBankApi } from '../../protocol/bank-proto.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { DrexError } from '../../protocol/errors.ts';

/** A batch event as the client sees it (state without the BATCH_STATE_ prefix). */
export interface WatchedEvent {
  seq: number;
  state: string;
  /** Proofs verified, of `proofs`. */
  verified: number;
  transfers: number;
  /** Proofs the plan needs (0 before planning). */
  proofs: number;
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

/** The BankApiError of a failed call: its gRPC status and the `drex-error-code` and `drex-field` trailers. */
export function apiError(e: ServiceError): BankApiError {
  const code = String(e.metadata?.get('drex-error-code')[0] ?? 'UNKNOWN');
  const field = e.metadata?.get('drex-field')[0];
  return new BankApiError(e.code, code, field === undefined ? undefined : String(field), e.details || e.message);
}

/** The client was configured inconsistently. */
export class BankClientConfigError extends DrexError {
  override name = 'BankClientConfigError';
  readonly code = 'BANK_CLIENT_CONFIG';
}

/** A BatchEvent message as the client sees it. */
function eventOf(m: Record<string, string | number>): WatchedEvent {
  return {
    seq: Number(m.seq),
    state: String(m.state).replace('BATCH_STATE_', ''),
    verified: Number(m.verified),
    transfers: Number(m.transfers),
    proofs: Number(m.proofs ?? 0),
    message: String(m.message),
    settlementTx: String(m.settlement_tx),
    block: Number(m.block),
    errorCode: String(m.error_code),
    atMs: Number(m.at_ms),
  };
}

const FINAL = new Set(['SETTLED', 'FAILED']);

type Callback<T> = (err: ServiceError | null, res: T) => void;
/** The dynamically loaded BatchService client's methods. */
interface BatchServiceStub {
  SubmitBatch(req: Record<string, unknown>, md: Metadata, cb: Callback<{ batch_id: string; state: string; duplicate: boolean }>): void;
  GetBatch(req: Record<string, unknown>, cb: Callback<Record<string, string | number>>): void;
  GetDeployment(req: Record<string, unknown>, cb: Callback<Record<string, string | number>>): void;
  WatchBatch(req: Record<string, unknown>): ClientReadableStream<Record<string, string | number>>;
  close(): void;
}

/** GetDeployment's answer: what a bank signs intents for. */
export interface DeploymentView {
  deployment: string;
  /** Every intent signature covers it. */
  domain: bigint;
  transfersPerProof: number;
  minter: bigint;
  complianceLimit: bigint;
  /** 0 without a ledger. */
  chainId: number;
  /** '' without a ledger. */
  settlement: string;
}

/** A fresh request nonce: 16 random bytes, hex. */
export function requestNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * TLS to the orchestrator: `ca` verifies the server's certificate; `cert` and `key` add a client
 * certificate (mTLS). `serverName` overrides the name checked in the server's certificate.
 */
export interface BankTls {
  ca: string;
  cert?: string;
  key?: string;
  serverName?: string;
}

/**
 * A bank's client of the BatchService: signs every request (SubmitBatch, GetBatch, WatchBatch) with the
 * bank's Ed25519 key, a fresh timestamp and a new nonce, and follows batches.
 */
export class BankClient {
  private readonly client: BatchServiceStub;

  constructor(
    readonly o: {
      address: string;
      bankId: string;
      identity: Identity;
      tls?: BankTls;
    },
  ) {
    const { Client } = loadBankApi();
    if (o.tls && Boolean(o.tls.cert) !== Boolean(o.tls.key)) throw new BankClientConfigError('a client certificate needs its key (cert and key go together)');
    const creds = o.tls
      ? credentials.createSsl(readFileSync(o.tls.ca), o.tls.key ? readFileSync(o.tls.key) : null, o.tls.cert ? readFileSync(o.tls.cert) : null)
      : credentials.createInsecure();
    const options = o.tls?.serverName ? { 'grpc.ssl_target_name_override': o.tls.serverName } : {};
    this.client = new Client(o.address, creds, options) as unknown as BatchServiceStub;
  }

  /** The signed fields of a GetBatch or WatchBatch request for `batchId` (GetDeployment: ''). */
  signedRead(method: 'GetBatch' | 'WatchBatch' | 'GetDeployment', batchId: string, fromSeq = '0', opts: { timestampMs?: number; nonce?: string } = {}): Record<string, unknown> {
    const timestampMs = String(opts.timestampMs ?? Date.now());
    const nonce = opts.nonce ?? requestNonce();
    const signature = Buffer.from(this.o.identity.sign(readSigningBytes({ method, bankId: this.o.bankId, batchId, fromSeq, timestampMs, nonce })), 'hex');
    const target = method === 'GetDeployment' ? {} : { batch_id: batchId };
    return { ...target, ...(method === 'WatchBatch' ? { from_seq: fromSeq } : {}), bank_id: this.o.bankId, timestamp_ms: timestampMs, nonce, signature };
  }

  /** The deployment intents are signed for (a signed GetDeployment): its domain, k and policy. */
  deployment(): Promise<DeploymentView> {
    return new Promise((resolve, reject) =>
      this.client.GetDeployment(this.signedRead('GetDeployment', ''), (err, res) => {
        if (err) return reject(apiError(err));
        resolve({
          deployment: String(res.deployment),
          domain: BigInt(res.domain!),
          transfersPerProof: Number(res.transfers_per_proof),
          minter: BigInt(res.minter!),
          complianceLimit: BigInt(res.compliance_limit!),
          chainId: Number(res.chain_id),
          settlement: String(res.settlement_contract ?? ''),
        });
      }),
    );
  }

  /** Signs and submits a batch; retrying with the same key returns the same batch id. */
  submit(transfers: WireIntent[], idempotencyKey: string, opts: { timestampMs?: number; nonce?: string; signature?: Buffer } = {}): Promise<{ batchId: string; state: string; duplicate: boolean }> {
    const timestampMs = String(opts.timestampMs ?? Date.now());
    const nonce = opts.nonce ?? requestNonce();
    const signature =
      opts.signature ??
      Buffer.from(this.o.identity.sign(batchSigningBytes({ bankId: this.o.bankId, idempotencyKey, timestampMs, nonce, transfers })), 'hex');
    const req = { bank_id: this.o.bankId, idempotency_key: idempotencyKey, transfers, timestamp_ms: timestampMs, nonce, signature };
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

  /** The batch's current record (a signed GetBatch). */
  get(batchId: string): Promise<Record<string, string | number>> {
    return this.getRaw(this.signedRead('GetBatch', batchId));
  }

  /** Sends a GetBatch request as given (for tests of the server's checks). */
  getRaw(req: Record<string, unknown>): Promise<Record<string, string | number>> {
    return new Promise((resolve, reject) =>
      this.client.GetBatch(req, (err, res) => (err ? reject(apiError(err)) : resolve(res))),
    );
  }

  /** Opens a WatchBatch stream with the request as given (for tests of the server's checks). */
  watchRaw(req: Record<string, unknown>): ClientReadableStream<Record<string, string | number>> {
    return this.client.WatchBatch(req);
  }

  /**
   * The batch's events after `fromSeq` (a signed watch), read until the stream ends (the batch is final),
   * no event arrived for `quietMs`, or the stream failed; never rejects: a failure comes back as `error`
   * beside what arrived before it.
   */
  readEvents(batchId: string, o: { fromSeq?: number; quietMs: number }): Promise<{ events: WatchedEvent[]; error?: BankApiError }> {
    return new Promise((resolve) => {
      const events: WatchedEvent[] = [];
      const stream = this.client.WatchBatch(this.signedRead('WatchBatch', batchId, String(o.fromSeq ?? 0)));
      let timer = setTimeout(() => finish(), o.quietMs);
      const finish = (error?: BankApiError) => {
        clearTimeout(timer);
        stream.removeAllListeners();
        stream.on('error', () => {});
        stream.cancel();
        resolve(error ? { events, error } : { events });
      };
      stream.on('data', (m: Record<string, string | number>) => {
        events.push(eventOf(m));
        clearTimeout(timer);
        timer = setTimeout(() => finish(), o.quietMs);
      });
      stream.on('end', () => finish());
      stream.on('error', (err: ServiceError) => finish(apiError(err)));
    });
  }

  /**
   * The batch's events so far: a signed watch from the first event, read until the stream ends (the
   * batch is final) or no event arrived for `quietMs`.
   */
  async recentEvents(batchId: string, quietMs = 500): Promise<WatchedEvent[]> {
    const { events, error } = await this.readEvents(batchId, { quietMs });
    if (error) throw error;
    return events;
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
          const stream: ClientReadableStream<Record<string, string | number>> = this.client.WatchBatch(this.signedRead('WatchBatch', batchId, String(from)));
          stream.on('data', (m: Record<string, string | number>) => {
            const e = eventOf(m);
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
        if (e.code === 'BATCH_NOT_FOUND' || e.grpcCode === status.UNAUTHENTICATED || e.grpcCode === status.PERMISSION_DENIED || retries-- <= 0) throw err;
        if (events.length && final.has(events.at(-1)!.state)) return events;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  close(): void {
    this.client.close();
  }
}
