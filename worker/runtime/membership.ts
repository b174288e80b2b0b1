import type { KV } from '@nats-io/kv';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { memberEntryV1, type MemberEntryV1 } from '../../protocol/messages/member.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { unrefTimer } from './unref-timer.ts';

/** What a worker declares about itself in the membership. */
export interface Capabilities {
  runtime: MemberEntryV1['runtime'];
  threads: number;
  gpu: boolean;
  tee: boolean;
  /** Where MSMs run (absent: WASM). */
  msmBackend?: MemberEntryV1['msmBackend'];
  /** X25519 public key (hex) that this worker's shares are sealed to. */
  sealKey?: string;
  /** Who runs the worker (the halves of one proof go to workers of two operators). */
  operator?: string;
}

/** A signed membership entry for `identity` (signature over the canonical bytes of every other field). */
export function signedMemberEntry(identity: Identity, caps: Capabilities, score: number, ttlMs: number, now = Date.now()): MemberEntryV1 {
  const { sealKey, operator, ...rest } = caps;
  const unsigned = { v: 1 as const, workerId: identity.id, ...rest, ...(sealKey ? { sealKey } : {}), ...(operator ? { operator } : {}), score, ts: now, ttlMs };
  return memberEntryV1.parse({ ...unsigned, signature: identity.sign(canonicalBytes(unsigned)) });
}

export interface HeartbeatOptions {
  kv: KV;
  identity: Identity;
  capabilities: Capabilities;
  /** Current benchmark score (proofs per minute, 0 when unknown). */
  score: () => number;
  intervalMs: number;
  ttlMs: number;
  log: Logger;
}

/** A running membership heartbeat. */
export interface Heartbeat {
  /** Puts a fresh entry now. */
  beat(): Promise<void>;
  /** Stops the heartbeat and deletes this worker's entry. */
  stop(): Promise<void>;
}

/**
 * Puts a signed entry under key = worker id in the members bucket now (awaited; a failure here fails the
 * start) and then every `intervalMs` (a failed put is logged and retried at the next tick).
 */
export async function startHeartbeat(o: HeartbeatOptions): Promise<Heartbeat> {
  const beat = async () => {
    const entry = signedMemberEntry(o.identity, o.capabilities, Math.round(o.score() * 100) / 100, o.ttlMs);
    await o.kv.put(o.identity.id, JSON.stringify(entry));
  };
  await beat();
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = beat().catch((err: Error) => o.log.warn('membership heartbeat failed', { err }));
  }, o.intervalMs);
  unrefTimer(timer);
  return {
    beat,
    async stop() {
      clearInterval(timer);
      await running;
      try {
        await o.kv.delete(o.identity.id);
      } catch (err) {
        o.log.warn('could not remove the membership entry (it expires by itself)', { err: err as Error });
      }
    },
  };
}
