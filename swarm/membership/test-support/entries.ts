/** Signed membership entries and reputation records for tests, from real Ed25519 identities. */
import { generateIdentity, type Identity } from '../../identity/ed25519.ts';
import { signMemberEntry, type CapabilitiesV2, type MemberEntry } from '../member-entry.ts';
import { MemberMap } from '../member-map.ts';
import { REPUTATION_MAX_LIFE_MS, signReputationRecord, type ReputationRecord, type ReputationTally } from '../reputation-record.ts';
import { EMPTY_TALLY } from '../reputation-score.ts';

/** The wall clock every test replica reads, epoch ms. */
export const NOW = 1_700_000_000_000;
export const SKEW_MS = 5_000;

export const nodeCapabilities: CapabilitiesV2 = { runtime: 'node', threads: 4, msmBackend: 'wasm', gpu: false, tee: false };

export function newIdentity(): Identity {
  return generateIdentity().identity;
}

export interface EntryOptions {
  wallMs?: number;
  counter?: number;
  ttlMs?: number;
  score?: number;
  operator?: string;
  capabilities?: CapabilitiesV2;
}

/** `identity`'s signed entry: by default stamped 1 s before NOW and valid for a minute. */
export function entryOf(identity: Identity, o: EntryOptions = {}): MemberEntry {
  const wallMs = o.wallMs ?? NOW - 1_000;
  return signMemberEntry(identity, {
    operator: o.operator ?? 'op-a',
    capabilities: o.capabilities ?? nodeCapabilities,
    score: o.score ?? 12.5,
    version: '0.1.0',
    hlc: { wallMs, counter: o.counter ?? 0 },
    expiresAtMs: wallMs + (o.ttlMs ?? 60_000),
  });
}

export interface RecordOptions {
  wallMs?: number;
  counter?: number;
  ttlMs?: number;
  tally?: Partial<ReputationTally>;
}

/** `observer`'s signed reputation record of worker `subject`: by default stamped 1 s before NOW, an empty tally, the longest life. */
export function reputationOf(observer: Identity, subject: string, o: RecordOptions = {}): ReputationRecord {
  const wallMs = o.wallMs ?? NOW - 1_000;
  return signReputationRecord(observer, {
    subject,
    hlc: { wallMs, counter: o.counter ?? 0 },
    tally: { ...EMPTY_TALLY, ...o.tally },
    expiresAtMs: wallMs + (o.ttlMs ?? REPUTATION_MAX_LIFE_MS),
  });
}

/**
 * A replica that admits everyone (or `admitted` only), trusts the reputation records of `observers`
 * only (none by default), and reads `clock.now` as its wall clock.
 */
export function replica(clock: { now: number } = { now: NOW }, admitted?: ReadonlySet<string>, observers: ReadonlySet<string> = new Set()): MemberMap {
  return new MemberMap({ isAdmitted: (id) => admitted?.has(id) ?? true, isObserver: (id) => observers.has(id), maxSkewMs: SKEW_MS, now: () => clock.now });
}
