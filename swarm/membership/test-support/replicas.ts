/** Membership replicas on real NATS connections, and entries stamped by the real clock, for gossip tests. */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Identity } from '../../identity/ed25519.ts';
import type { NatsNames } from '../../../protocol/subjects.ts';
import { MembershipReplica, type MembershipReplicaOptions } from '../gossip.ts';
import { signMemberEntry, type MemberEntry } from '../member-entry.ts';
import { nodeCapabilities, SKEW_MS } from './entries.ts';

export interface TestReplica {
  replica: MembershipReplica;
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** A replica with its own connection to `url` (reconnecting to it every 100 ms without end). */
export async function startReplica(url: string, names: NatsNames, o: Partial<MembershipReplicaOptions> = {}): Promise<TestReplica> {
  // Only ever `url`: a partition test must not let a client move to the other side's server.
  const nc = await connect({ servers: url, reconnectTimeWait: 100, maxReconnectAttempts: -1, ignoreClusterUpdates: true });
  const replica = await MembershipReplica.start({ nc, names, isAdmitted: () => true, maxSkewMs: SKEW_MS, ...o });
  return {
    replica,
    nc,
    stop: async () => {
      await replica.stop();
      await nc.close();
    },
  };
}

/** `identity`'s entry stamped now (by the wall clock) and valid for `ttlMs`. */
export function entryNow(identity: Identity, ttlMs = 60_000, score = 1): MemberEntry {
  const wallMs = Date.now();
  return signMemberEntry(identity, { operator: 'op-a', capabilities: nodeCapabilities, score, version: '0.1.0', hlc: { wallMs, counter: 0 }, expiresAtMs: wallMs + ttlMs });
}

/** What a replica holds as members: worker id and signature of each, sorted. */
export function memberView(r: MembershipReplica): string[] {
  return r.members().map((e) => `${e.workerId}:${e.signature}`);
}

/** Waits until `done()` holds, polling every 20 ms; returns the time it took, or throws past `boundMs`. */
export async function until(what: string, done: () => boolean, boundMs: number): Promise<number> {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > boundMs) throw new Error(`${what}: not within ${boundMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

/** Waits until `r`'s connection answers a flush again (after its server restarted): its subscriptions are back then. */
export async function reconnected(r: TestReplica, boundMs = 5_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      await r.nc.flush();
      return;
    } catch (err) {
      if (Date.now() - t0 > boundMs) throw err;
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}
