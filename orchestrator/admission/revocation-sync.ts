import { connect, type NatsConnection } from '@nats-io/transport-node';
import { canonicalJson } from '../../protocol/canonical.ts';
import { DrexError } from '../../protocol/errors.ts';
import { encodeAppAccount } from '../../swarm/nats-auth/account-claims.ts';
import { credsConnectOptions } from '../../swarm/nats-auth/connect.ts';
import type { AdmissionKeys } from '../../swarm/nats-auth/nats-security.ts';
import { userPublicKeyOf } from '../../swarm/nats-auth/nkey-codec.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { AdmissionStore } from './admission-store.ts';

/** The NATS server did not take an account update. */
export class ClaimsUpdateError extends DrexError {
  override name = 'ClaimsUpdateError';
  readonly code = 'NATS_CLAIMS_UPDATE_FAILED';
  override readonly retryable = true;
}

export interface RevocationSyncOptions {
  natsUrl: string;
  keys: AdmissionKeys;
  store: AdmissionStore;
  /** How often the revocation list is compared with what was pushed. Default 1 s. */
  intervalMs?: number;
  /** The account JWT is pushed again this often even when nothing changed (a restarted server). Default 60 s. */
  resyncMs?: number;
  log: Logger;
}

/**
 * Keeps the NATS server's view of the application account in step with the revocations in Redis: when
 * they change (and every `resyncMs`), it re-issues the account JWT with the revocation list and pushes
 * it through the system account (`$SYS.REQ.CLAIMS.UPDATE`). The server then refuses the revoked
 * workers' credentials and closes their open connections. Idempotent; any orchestrator may run it.
 */
export class RevocationSync {
  private nc?: NatsConnection;
  private timer?: NodeJS.Timeout;
  private pushed = '';
  private pushedAt = 0;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly o: RevocationSyncOptions) {}

  async start(): Promise<void> {
    this.nc = await connect({ servers: this.o.natsUrl, name: 'drex-admission', maxReconnectAttempts: -1, ...(await credsConnectOptions(this.o.keys.systemCreds)) });
    await this.sync();
    this.timer = setInterval(() => {
      this.running = this.sync().catch((err: Error) => this.o.log.warn('revocation sync failed; retrying', { err }));
    }, this.o.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Pushes the account JWT when the revocations changed or the resync time passed. */
  async sync(): Promise<void> {
    const revoked = await this.o.store.revocations();
    const revocations = Object.fromEntries(Object.entries(revoked).map(([id, at]) => [userPublicKeyOf(id), at]));
    const wanted = canonicalJson(revocations);
    if (wanted === this.pushed && Date.now() - this.pushedAt < (this.o.resyncMs ?? 60_000)) return;
    const jwt = await encodeAppAccount(this.o.keys.account, this.o.keys.operatorSigner, revocations);
    const reply = await this.nc!.request('$SYS.REQ.CLAIMS.UPDATE', jwt, { timeout: 5000 });
    const body = reply.json<{ data?: { code?: number; message?: string }; error?: { code?: number; description?: string } }>();
    if (body.data?.code !== 200) throw new ClaimsUpdateError(`account update refused: ${JSON.stringify(body.error ?? body.data)}`);
    if (wanted !== this.pushed) this.o.log.info('account revocations pushed to NATS', { revoked: Object.keys(revoked).length });
    this.pushed = wanted;
    this.pushedAt = Date.now();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.nc?.close();
  }
}
