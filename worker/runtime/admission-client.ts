import { jwtAuthenticator, type ConnectionOptions } from '@nats-io/nats-core';
import { admissionGrantV1, admissionSigningBytes, type AdmissionGrantV1 } from '../../protocol/messages/admission.ts';
import { DrexError } from '../../protocol/errors.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { userKeyFromEd25519Seed } from '../../swarm/nats-auth/nkey-codec.ts';
import { unrefTimer } from './unref-timer.ts';

/** The admission service refused this worker, or could not be reached. */
export class AdmissionError extends DrexError {
  override name = 'AdmissionError';
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.code = code;
    (this as { retryable: boolean }).retryable = options?.retryable ?? false;
  }
}

export interface AdmissionClientOptions {
  /** The orchestrator's HTTP base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  deployment: string;
  /** The worker's Ed25519 identity (it signs the challenge) and its seed (hex): its NATS user key. */
  identity: Identity;
  seedHex: string;
  operator: string;
}

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new AdmissionError('ADMISSION_UNREACHABLE', `admission service ${url} unreachable: ${(err as Error).message}`, { cause: err, retryable: true });
  }
  return { status: res.status, json: await res.json().catch(() => null) };
}

/** Asks the admission service for NATS credentials: fetch a challenge, sign it with the worker key, present it. */
export async function requestCredentials(o: AdmissionClientOptions): Promise<AdmissionGrantV1> {
  const identity = o.identity;
  const base = o.url.replace(/\/$/, '');
  const ch = await post(`${base}/admission/v1/challenge`, {});
  const nonce = (ch.json as { nonce?: unknown } | null)?.nonce;
  if (ch.status !== 200 || typeof nonce !== 'string') throw new AdmissionError('ADMISSION_UNREACHABLE', `no challenge from ${base} (HTTP ${ch.status})`, { retryable: true });
  const unsigned = { v: 1 as const, deployment: o.deployment, workerId: identity.id, operator: o.operator, nonce };
  const res = await post(`${base}/admission/v1/credentials`, { ...unsigned, signature: identity.sign(admissionSigningBytes(unsigned)) });
  if (res.status !== 200) {
    const e = res.json as { code?: string; error?: string } | null;
    throw new AdmissionError(e?.code ?? 'ADMISSION_REFUSED', `admission refused (HTTP ${res.status}): ${e?.error ?? 'no reason given'}`, { retryable: res.status >= 500 });
  }
  const grant = admissionGrantV1.safeParse(res.json);
  if (!grant.success) throw new AdmissionError('ADMISSION_GRANT_INVALID', `the admission service answered an invalid grant: ${grant.error.message}`);
  return grant.data;
}

/** A worker's admitted NATS credentials, renewed before they expire. */
export interface AdmittedCredentials {
  /** Connection options that authenticate with the current credential. */
  connectOptions: Pick<ConnectionOptions, 'authenticator' | 'inboxPrefix'>;
  expiresAtMs(): number;
  stop(): void;
}

/**
 * Obtains credentials and renews them at two thirds of their lifetime (on failure, again after a tenth
 * of what is left, at least every 30 s). NATS closes a connection whose credential expired; the
 * connection's reconnect then presents the renewed one.
 */
export async function admitWorker(o: AdmissionClientOptions & { log: Logger }): Promise<AdmittedCredentials> {
  let grant = await requestCredentials(o);
  const seed = userKeyFromEd25519Seed(o.seedHex).getSeed();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(renew, Math.max(1000, ms));
    unrefTimer(timer);
  };
  const renew = async () => {
    try {
      grant = await requestCredentials(o);
      o.log.info('NATS credentials renewed', { expiresAtMs: grant.expiresAtMs });
      schedule(((grant.expiresAtMs - Date.now()) * 2) / 3);
    } catch (err) {
      const left = grant.expiresAtMs - Date.now();
      o.log.warn('credential renewal failed; retrying', { err: err as Error, leftMs: left });
      if ((err as AdmissionError).code === 'ADMISSION_REVOKED') return;
      schedule(Math.min(30_000, left / 10));
    }
  };
  schedule(((grant.expiresAtMs - Date.now()) * 2) / 3);
  return {
    connectOptions: { authenticator: jwtAuthenticator(() => grant.jwt, seed), inboxPrefix: grant.inboxPrefix },
    expiresAtMs: () => grant.expiresAtMs,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
