import type { NatsConnection } from '@nats-io/transport-node';
import type { z } from 'zod';
import {
  takeReplyV1,
  workReplyV1,
  type GrantedJobV1,
  type ProgressRequestV1,
  type ReleaseRequestV1,
  type TakeRequestV1,
  type UnsignedWorkRequest,
} from '../../protocol/messages/work.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import { signMessage } from '../../swarm/identity/sign-message.ts';
import { GatewayRefusedError, GatewayUnavailableError } from './errors.ts';

export interface GatewayClientOptions {
  nc: NatsConnection;
  names: NatsNames;
  identity: Identity;
  /** How long a reply may take beyond a take's own wait (default 5000 ms). */
  requestTimeoutMs?: number;
}

/** What a take answers: the jobs granted and the consumer's ack wait. */
export interface Taken {
  ackWaitMs: number;
  jobs: GrantedJobV1[];
}

/**
 * The worker's side of the job gateway: signed take, progress and release requests. Refusals throw
 * GatewayRefusedError (with the gateway's code), no answer GatewayUnavailableError. `settled()` waits for
 * every request still in flight (before the connection is closed).
 */
export class GatewayClient {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly o: GatewayClientOptions) {}

  take(max: number, waitMs: number): Promise<Taken> {
    const r = this.request<TakeRequestV1, Taken>(this.o.names.workTake, { v: 1, workerId: this.o.identity.id, ts: Date.now(), max, waitMs }, takeReplyV1, waitMs);
    return r;
  }

  /** Signals progress on a lease (throws LEASE_LOST when it is no longer this worker's). */
  async progress(leaseId: string): Promise<void> {
    await this.request<ProgressRequestV1, unknown>(this.o.names.workProgress, { v: 1, workerId: this.o.identity.id, ts: Date.now(), leaseId }, workReplyV1);
  }

  /** Acks, naks or terminates the job of a lease. */
  async release(leaseId: string, outcome: ReleaseRequestV1['outcome'], extra: { delayMs?: number; reason?: string } = {}): Promise<void> {
    const req: UnsignedWorkRequest<ReleaseRequestV1> = { v: 1, workerId: this.o.identity.id, ts: Date.now(), leaseId, outcome, ...extra };
    await this.request<ReleaseRequestV1, unknown>(this.o.names.workRelease, req, workReplyV1);
  }

  /** Settles once every request sent so far has been answered or has failed. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private request<Req, Ok>(subject: string, unsigned: UnsignedWorkRequest<Req>, schema: z.ZodType<{ ok: true } | { ok: false; code: string; message: string }>, waitMs = 0): Promise<Ok> {
    const p = (async () => {
      const body = JSON.stringify(signMessage(this.o.identity, unsigned as object));
      let data: unknown;
      try {
        const m = await this.o.nc.request(subject, body, { timeout: waitMs + (this.o.requestTimeoutMs ?? 5_000) });
        data = m.json();
      } catch (err) {
        throw new GatewayUnavailableError(`no answer from the job gateway on ${subject}: ${(err as Error).message}`, { cause: err });
      }
      const parsed = schema.safeParse(data);
      if (!parsed.success) throw new GatewayUnavailableError(`the job gateway's answer on ${subject} is not a reply of the protocol`);
      if (!parsed.data.ok) throw new GatewayRefusedError(parsed.data.code, parsed.data.message);
      return parsed.data as Ok;
    })();
    this.inFlight.add(p);
    void p.catch(() => {}).finally(() => this.inFlight.delete(p));
    return p;
  }
}
