// Membership gossip at 100, 1,000 and 10,000 members, in one process with an in-memory transport (no NATS):
// each member has its own Ed25519 identity and its own MembershipCore (the code MembershipReplica runs on
// NATS), and every byte counted is a message that core encoded. Prints convergence time, steady-state
// gossip bytes per member per second, and the anti-entropy bytes that repair a 10% partition.
//
// How the figures are made (one replica stands for many, so that no O(n^2) signature checks are run):
// - convergence_ms: every member announces itself (one delta each, as it publishes it); two observer
//   replicas take in every delta (decode, check, verify, merge). On NATS every replica gets every delta
//   at once and checks it in parallel with the others, so convergence is one replica's time to take in
//   all n deltas (the slower observer's, measured); the in-memory transport adds no network latency.
// - gossip bytes per member per second: over 3 heartbeat intervals (a virtual clock) every member
//   re-signs and re-announces its entry once per interval; sent = its deltas' bytes plus its share of
//   anti-entropy (one round started and, on average, one answered per anti-entropy interval: the bytes
//   of one steady-state round between the observers, both ways); received = every member's deltas
//   (NATS delivers each to every subscriber) plus the same anti-entropy share.
// - anti-entropy bytes after a 10% partition: a replica of the 10% side and one of the 90% side, equal
//   before; for one heartbeat interval each hears only its side's re-announcements (every member
//   re-announces once); then they run rounds until one finds them equal: the bytes of all of them, both ways.
import { generateIdentity, type Identity } from '../swarm/identity/ed25519.ts';
import { DEFAULT_MAX_MESSAGE_BYTES } from '../swarm/membership/gossip-messages.ts';
import { signMemberEntry, type MemberEntry } from '../swarm/membership/member-entry.ts';
import { MembershipCore } from '../swarm/membership/replica-core.ts';
import { note, round } from './stats.ts';

const HEARTBEAT_MS = 10_000;
const TTL_MS = 30_000;
const ANTI_ENTROPY_MS = 30_000;
const STEADY_INTERVALS = 3;
const SIZES = (process.env.BENCH_MEMBERS ?? '100,1000,10000').split(',').map(Number);

const clock = { now: Date.now() };
const coreOptions = (id: string) => ({ id, isAdmitted: () => true, maxSkewMs: 5_000, now: () => clock.now, maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES });

interface Member {
  identity: Identity;
  core: MembershipCore;
}

function entryOf(identity: Identity, score: number): MemberEntry {
  return signMemberEntry(identity, {
    operator: `op-${identity.id.slice(0, 4)}`,
    capabilities: { runtime: 'node', threads: 4, msmBackend: 'wasm', gpu: false, tee: false },
    score,
    version: '0.1.0',
    hlc: { wallMs: clock.now, counter: 0 },
    expiresAtMs: clock.now + TTL_MS,
  });
}

/** The member re-signs its entry and announces it: the delta messages its replica would publish. */
function announce(m: Member, score: number): Uint8Array[] {
  return m.core.local([entryOf(m.identity, score)]).messages;
}

/** Rounds started by `a` with `b` until one finds them equal; the bytes of all of them, both ways. */
async function syncUntilEqual(a: MembershipCore, b: MembershipCore): Promise<{ bytes: number; rounds: number; repaired: number }> {
  const before = a.antiEntropy.counters.bytesSent + a.antiEntropy.counters.bytesReceived;
  let rounds = 0;
  let repaired = 0;
  for (;;) {
    rounds += 1;
    const r = await a.antiEntropy.round(async (req) => b.antiEntropy.answer(req).reply);
    repaired += r.repaired.length + r.sent;
    if (r.equal || rounds > 1_000) break;
  }
  return { bytes: a.antiEntropy.counters.bytesSent + a.antiEntropy.counters.bytesReceived - before, rounds, repaired };
}

async function run(n: number) {
  note(`${n} members: identities`);
  const members: Member[] = Array.from({ length: n }, (_, i) => ({ identity: generateIdentity().identity, core: new MembershipCore(coreOptions(`m${i}`)) }));
  const observers = [new MembershipCore(coreOptions('observer-0')), new MembershipCore(coreOptions('observer-1'))];

  note(`${n} members: every member announces itself`);
  const announcements = members.map((m) => announce(m, 1));
  const convergenceMs = observers.map((o) => {
    const t0 = performance.now();
    for (const msgs of announcements) for (const msg of msgs) o.receive(msg);
    return performance.now() - t0;
  });
  for (const o of observers) if (o.stats.members !== n) throw new Error(`an observer holds ${o.stats.members} of ${n} members`);

  note(`${n} members: ${STEADY_INTERVALS} heartbeat intervals`);
  const sentBefore = members.reduce((s, m) => s + m.core.stats.gossip.bytesSent, 0);
  const receivedBefore = observers[0]!.stats.gossip.bytesReceived;
  const aeRounds: number[] = [];
  const start = clock.now;
  for (let k = 0; k < STEADY_INTERVALS; k += 1) {
    for (let i = 0; i < n; i += 1) {
      clock.now = start + k * HEARTBEAT_MS + Math.floor((i * HEARTBEAT_MS) / n) + 1;
      for (const msg of announce(members[i]!, 1)) for (const o of observers) o.receive(msg);
    }
  }
  clock.now = start + STEADY_INTERVALS * HEARTBEAT_MS;
  aeRounds.push((await syncUntilEqual(observers[0]!, observers[1]!)).bytes);
  const windowS = (STEADY_INTERVALS * HEARTBEAT_MS) / 1000;
  const deltaSentPerMember = (members.reduce((s, m) => s + m.core.stats.gossip.bytesSent, 0) - sentBefore) / n / windowS;
  const deltaReceivedPerMember = (observers[0]!.stats.gossip.bytesReceived - receivedBefore) / windowS;
  const antiEntropyPerMember = aeRounds[0]! / (ANTI_ENTROPY_MS / 1000);

  note(`${n} members: a partition of 10% for one heartbeat interval`);
  const minority = new MembershipCore(coreOptions('minority'));
  const majority = new MembershipCore(coreOptions('majority'));
  minority.map.merge(observers[0]!.map.entries());
  majority.map.merge(observers[0]!.map.entries());
  const cut = Math.ceil(n / 10);
  const partStart = clock.now;
  for (let i = 0; i < n; i += 1) {
    clock.now = partStart + Math.floor((i * HEARTBEAT_MS) / n) + 1;
    for (const msg of announce(members[i]!, 2)) (i < cut ? minority : majority).receive(msg);
  }
  clock.now = partStart + HEARTBEAT_MS;
  const heal = await syncUntilEqual(minority, majority);
  if (minority.map.serialize() !== majority.map.serialize()) throw new Error('the two sides differ after anti-entropy');
  const stateBytes = Buffer.byteLength(JSON.stringify(majority.map.entries()));

  return {
    members: n,
    convergence_ms: round(Math.max(...convergenceMs)),
    gossip_bytes_per_member_per_s: round(deltaSentPerMember + antiEntropyPerMember),
    gossip_bytes_received_per_member_per_s: round(deltaReceivedPerMember + antiEntropyPerMember),
    steady_anti_entropy_round_bytes: aeRounds[0]!,
    anti_entropy_bytes_after_10pct_partition: heal.bytes,
    anti_entropy_rounds_after_10pct_partition: heal.rounds,
    entries_exchanged_after_10pct_partition: heal.repaired,
    full_state_bytes: stateBytes,
  };
}

note(`transport: in-memory (no NATS); each member its own identity and MembershipCore; two observer replicas stand for every replica (see the header of bench/membership.ts for how bytes are counted); heartbeat ${HEARTBEAT_MS} ms, anti-entropy ${ANTI_ENTROPY_MS} ms`);
const rows = [];
for (const n of SIZES) {
  const t0 = performance.now();
  rows.push(await run(n));
  note(`${n} members done in ${round((performance.now() - t0) / 1000)} s: ${JSON.stringify(rows.at(-1))}`);
}
console.log(
  JSON.stringify({
    bench: 'membership',
    rows,
    heartbeat_ms: HEARTBEAT_MS,
    entry_ttl_ms: TTL_MS,
    anti_entropy_ms: ANTI_ENTROPY_MS,
    max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
    partition_ms: HEARTBEAT_MS,
    transport: 'in-memory',
  }),
);
