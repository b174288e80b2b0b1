import type { ReputationRecord, ReputationTally } from './reputation-record.ts';

/**
 * Reputation from observers' records: counts decay with a fixed half-life (a protocol constant, so that
 * every replica computes the same score from the same records at the same time), the counts of every
 * observer of a worker are summed, and the score falls geometrically with invalid results and, more
 * slowly, with late halves and timeouts.
 *
 * The bound: a fresh worker scores 100; each invalid result reported by any observer halves its score,
 * each late half takes 15 %, each timeout 5 % (a crashed worker or a closed browser tab times out too: a
 * fault, not a lie). So a worker falls below REPUTATION_THRESHOLD (30), and gets no work, after at most
 * 2 invalid results (100 -> 50 -> 25), or 8 late halves (0.85^8 = 0.27), or 24 timeouts (0.95^24 = 0.29),
 * or 1 invalid result and 4 late (50 x 0.52 = 26), reported by any aggregators: the counts
 * of all observers add up, so the bound holds on every replica, whichever aggregators saw the results.
 * It gets work again when they decay: 2 invalid results take 0.2 half-lives (6 min) to decay below the
 * threshold's 1.74, and each invalid result after that takes it under again for longer (a third, for
 * about 20 min). Valid results never raise the score above what the failures allow.
 */

/** The half-life of every count, ms. */
export const REPUTATION_HALF_LIFE_MS = 30 * 60 * 1000;
/** Below this score a worker gets no work. */
export const REPUTATION_THRESHOLD = 30;
/** The factor of the score per invalid result, per late half, and per timeout. */
export const INVALID_FACTOR = 0.5;
export const LATE_FACTOR = 0.85;
export const TIMEOUT_FACTOR = 0.95;
/** The weight of the newest latency in the mean (an EWMA). */
export const LATENCY_EWMA_ALPHA = 0.2;

/** What an observer saw of a worker once. */
export const OBSERVATION_KINDS = ['valid', 'invalid', 'late', 'timeout'] as const;
export type ObservationKind = (typeof OBSERVATION_KINDS)[number];
export interface Observation {
  kind: ObservationKind;
  /** For a valid result: ms from delivery to result. */
  latencyMs?: number;
}

export const EMPTY_TALLY: Readonly<ReputationTally> = Object.freeze({ valid: 0, invalid: 0, late: 0, timeouts: 0, latencyMs: 0 });

/** Keeps counts to 1e-9 so that signed records stay short and read back the same. */
const tidy = (x: number) => Math.round(x * 1e9) / 1e9;

/** `tally` (as of `fromMs`) decayed to `toMs`: counts times 2^(-(toMs - fromMs)/half-life), none when toMs is not later; latency unchanged. */
export function decayTally(tally: ReputationTally, fromMs: number, toMs: number): ReputationTally {
  const f = toMs > fromMs ? 2 ** (-(toMs - fromMs) / REPUTATION_HALF_LIFE_MS) : 1;
  return { valid: tally.valid * f, invalid: tally.invalid * f, late: tally.late * f, timeouts: tally.timeouts * f, latencyMs: tally.latencyMs };
}

/**
 * The observer's next tally of a worker at `nowMs`: its previous record's tally decayed to now, plus one
 * of the kind observed (and a valid result's latency folded into the mean).
 */
export function observe(previous: Pick<ReputationRecord, 'hlc' | 'tally'> | undefined, observation: Observation, nowMs: number): ReputationTally {
  const t = previous ? decayTally(previous.tally, previous.hlc.wallMs, nowMs) : { ...EMPTY_TALLY };
  const next = { ...t };
  if (observation.kind === 'valid') next.valid += 1;
  else if (observation.kind === 'invalid') next.invalid += 1;
  else if (observation.kind === 'late') next.late += 1;
  else next.timeouts += 1;
  const latency = observation.latencyMs;
  if (observation.kind === 'valid' && latency !== undefined && Number.isFinite(latency) && latency >= 0) {
    next.latencyMs = t.latencyMs === 0 ? latency : t.latencyMs + LATENCY_EWMA_ALPHA * (latency - t.latencyMs);
  }
  return { valid: tidy(next.valid), invalid: tidy(next.invalid), late: tidy(next.late), timeouts: tidy(next.timeouts), latencyMs: tidy(next.latencyMs) };
}

/** Records in one order whatever order they came in (floating-point sums depend on it). */
function canonicalOrder(records: readonly ReputationRecord[]): ReputationRecord[] {
  const key = (r: ReputationRecord) => `${r.observer}:${r.subject}:${r.signature}`;
  return [...records].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The sum of the records' tallies, each decayed to `nowMs` (a record stamped after nowMs counts
 * undecayed); the latency is the mean of the observers' latencies weighted by their valid counts.
 */
export function combinedTally(records: readonly ReputationRecord[], nowMs: number): ReputationTally {
  const sum = { ...EMPTY_TALLY };
  let latencyWeight = 0;
  for (const r of canonicalOrder(records)) {
    const t = decayTally(r.tally, r.hlc.wallMs, nowMs);
    sum.valid += t.valid;
    sum.invalid += t.invalid;
    sum.late += t.late;
    sum.timeouts += t.timeouts;
    if (t.latencyMs > 0 && t.valid > 0) {
      sum.latencyMs += t.latencyMs * t.valid;
      latencyWeight += t.valid;
    }
  }
  if (latencyWeight > 0) sum.latencyMs /= latencyWeight;
  return sum;
}

/**
 * A worker's score at `nowMs`, 0 to 100, from every observer's record of it: 100 x 0.5^invalid x
 * 0.85^late x 0.95^timeouts over the summed decayed counts, rounded to 2 decimals. The same for the same
 * records in any order. Pass only the records of one worker.
 */
export function reputationScore(records: readonly ReputationRecord[], nowMs: number): number {
  const t = combinedTally(records, nowMs);
  return Math.round(100 * INVALID_FACTOR ** t.invalid * LATE_FACTOR ** t.late * TIMEOUT_FACTOR ** t.timeouts * 100) / 100;
}
