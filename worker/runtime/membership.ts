import type { NatsConnection } from '@nats-io/transport-node';
import { SOFTWARE_VERSION } from '../../protocol/version.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import { announceReplyV1 } from '../../swarm/membership/announcements.ts';
import { HybridClock } from '../../swarm/membership/hlc.ts';
import { MIN_TTL_MS, signMemberEntry, type CapabilitiesV2, type MemberEntry } from '../../swarm/membership/member-entry.ts';
import { MembershipRefusedError } from './errors.ts';
import { unrefTimer } from './unref-timer.ts';

/** What a worker declares about itself in the membership. */
export interface Capabilities {
  runtime: CapabilitiesV2['runtime'];
  threads: number;
  gpu: boolean;
  tee: boolean;
  /** Where MSMs run (absent: WASM). */
  msmBackend?: CapabilitiesV2['msmBackend'];
  /** X25519 public key (hex) that this worker's shares are sealed to. */
  sealKey?: string;
  /** Where the enclave's attestation evidence is (TEE workers only). */
  attestationRef?: string;
  /** Who runs the worker (the halves of one proof go to workers of two operators); default: the worker alone. */
  operator?: string;
}

/** The operator a worker declares when none is given: its own id, so that it shares no operator with anyone. */
export const soloOperator = (workerId: string) => workerId;

/** A signed v2 membership entry for `identity`, stamped by `clock`, living `ttlMs`. */
export function signedMemberEntry(identity: Identity, clock: HybridClock, caps: Capabilities, score: number, ttlMs: number): MemberEntry {
  const hlc = clock.now();
  const { operator, msmBackend, sealKey, attestationRef, ...rest } = caps;
  return signMemberEntry(identity, {
    operator: operator ?? soloOperator(identity.id),
    capabilities: { ...rest, msmBackend: msmBackend ?? 'wasm', ...(sealKey ? { sealKey } : {}), ...(attestationRef ? { attestationRef } : {}) },
    score: Math.round(score * 100) / 100,
    version: SOFTWARE_VERSION,
    hlc: { wallMs: hlc.wallMs, counter: hlc.counter },
    expiresAtMs: hlc.wallMs + ttlMs,
  });
}

export interface HeartbeatOptions {
  nc: NatsConnection;
  names: NatsNames;
  identity: Identity;
  capabilities: Capabilities;
  /** Current benchmark score (proofs per minute, 0 when unknown). */
  score: () => number;
  intervalMs: number;
  ttlMs: number;
  /** Wait for a replica's answer to the first announcement (default 2 s). */
  requestTimeoutMs?: number;
  log: Logger;
}

/** A running membership heartbeat. */
export interface Heartbeat {
  /** Announces a fresh entry now. */
  beat(): void;
  /** Stops the heartbeat and leaves: a last entry that expires at once. */
  stop(): Promise<void>;
}

/**
 * Joins the membership: announces a signed entry on the worker's own announcement subject as a request
 * and returns once a replica (an aggregator or orchestrator) answers that it holds it (throws when none
 * answers, so the caller waits and tries again; MembershipRefusedError when the answers refuse it).
 * Then announces a fresh entry every `intervalMs`; replicas drop the worker once its last entry expires.
 */
export async function startHeartbeat(o: HeartbeatOptions): Promise<Heartbeat> {
  const clock = new HybridClock(o.identity.id, { maxSkewMs: 0 });
  const subject = o.names.membersAnnounce(o.identity.id, o.capabilities.operator ?? soloOperator(o.identity.id));
  const entry = (ttlMs: number) => JSON.stringify(signedMemberEntry(o.identity, clock, o.capabilities, o.score(), ttlMs));
  const reply = announceReplyV1.parse(JSON.parse(new TextDecoder().decode((await o.nc.request(subject, entry(o.ttlMs), { timeout: o.requestTimeoutMs ?? 2_000 })).data)));
  if (!reply.ok) throw new MembershipRefusedError(`membership replica ${reply.replica} refused this worker's entry: ${reply.reason ?? 'no reason given'}`);
  const beat = () => {
    try {
      o.nc.publish(subject, entry(o.ttlMs));
    } catch (err) {
      o.log.warn('membership heartbeat failed', { err: err as Error });
    }
  };
  const timer = setInterval(beat, o.intervalMs);
  unrefTimer(timer);
  return {
    beat,
    async stop() {
      clearInterval(timer);
      try {
        o.nc.publish(subject, entry(MIN_TTL_MS));
        await o.nc.flush();
      } catch (err) {
        o.log.warn('could not announce leaving the membership (the entry expires by itself)', { err: err as Error });
      }
    },
  };
}
