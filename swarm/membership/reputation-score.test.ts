import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { combinedTally, decayTally, EMPTY_TALLY, observe, REPUTATION_HALF_LIFE_MS, REPUTATION_THRESHOLD, reputationScore } from './reputation-score.ts';
import { newIdentity, NOW, reputationOf } from './test-support/entries.ts';

const H = REPUTATION_HALF_LIFE_MS;
const worker = newIdentity().id;
const observers = [newIdentity(), newIdentity(), newIdentity()];

describe('decaying a tally', () => {
  it('halves every count after one half-life, quarters it after two, keeps the latency', () => {
    const t = { valid: 8, invalid: 4, late: 2, timeouts: 1, latencyMs: 250 };
    expect(decayTally(t, NOW, NOW + H)).toEqual({ valid: 4, invalid: 2, late: 1, timeouts: 0.5, latencyMs: 250 });
    expect(decayTally(t, NOW, NOW + 2 * H)).toEqual({ valid: 2, invalid: 1, late: 0.5, timeouts: 0.25, latencyMs: 250 });
  });

  it('leaves a tally stamped at or after the time asked undecayed', () => {
    const t = { valid: 3, invalid: 1, late: 0, timeouts: 0, latencyMs: 0 };
    expect(decayTally(t, NOW, NOW)).toEqual(t);
    expect(decayTally(t, NOW + 1_000, NOW)).toEqual(t);
  });
});

describe('observing a worker', () => {
  it('adds one of the kind observed to the previous tally decayed to now', () => {
    const first = observe(undefined, { kind: 'invalid' }, NOW);
    expect(first).toEqual({ ...EMPTY_TALLY, invalid: 1 });
    const second = observe({ hlc: { wallMs: NOW, counter: 0 }, tally: first }, { kind: 'timeout' }, NOW + H);
    expect(second).toEqual({ ...EMPTY_TALLY, invalid: 0.5, timeouts: 1 });
    expect(observe({ hlc: { wallMs: NOW, counter: 0 }, tally: second }, { kind: 'late' }, NOW).late).toBe(1);
  });

  it('folds a valid result latency into the mean: the first one as is, the next ones by the EWMA', () => {
    const first = observe(undefined, { kind: 'valid', latencyMs: 1_000 }, NOW);
    expect(first).toEqual({ ...EMPTY_TALLY, valid: 1, latencyMs: 1_000 });
    const second = observe({ hlc: { wallMs: NOW, counter: 0 }, tally: first }, { kind: 'valid', latencyMs: 2_000 }, NOW);
    expect(second.latencyMs).toBe(1_200);
    expect(observe({ hlc: { wallMs: NOW, counter: 0 }, tally: second }, { kind: 'invalid', latencyMs: 9_999 }, NOW).latencyMs).toBe(1_200);
  });
});

describe('the reputation score', () => {
  it('is 100 for a worker nobody reported on, or reported only valid results of', () => {
    expect(reputationScore([], NOW)).toBe(100);
    expect(reputationScore([reputationOf(observers[0]!, worker, { tally: { valid: 500, latencyMs: 80 } })], NOW)).toBe(100);
  });

  it('halves per invalid result, takes 15 % per late half and 5 % per timeout', () => {
    const at = NOW - 1_000;
    expect(reputationScore([reputationOf(observers[0]!, worker, { wallMs: at, tally: { invalid: 1 } })], at)).toBe(50);
    expect(reputationScore([reputationOf(observers[0]!, worker, { wallMs: at, tally: { late: 1, timeouts: 1 } })], at)).toBe(80.75);
    expect(reputationScore([reputationOf(observers[0]!, worker, { wallMs: at, tally: { timeouts: 24 } })], at)).toBeLessThan(REPUTATION_THRESHOLD);
    expect(reputationScore([reputationOf(observers[0]!, worker, { wallMs: at, tally: { timeouts: 23 } })], at)).toBeGreaterThanOrEqual(REPUTATION_THRESHOLD);
  });

  it('puts a fresh worker below the threshold after two invalid results from two different observers, and after neither alone', () => {
    const [a, b] = [observers[0]!, observers[1]!];
    const ra = reputationOf(a, worker, { tally: observe(undefined, { kind: 'invalid' }, NOW - 1_000) });
    const rb = reputationOf(b, worker, { tally: observe(undefined, { kind: 'invalid' }, NOW - 1_000) });
    expect(reputationScore([ra], NOW - 1_000)).toBeGreaterThanOrEqual(REPUTATION_THRESHOLD);
    expect(reputationScore([rb], NOW - 1_000)).toBeGreaterThanOrEqual(REPUTATION_THRESHOLD);
    expect(reputationScore([ra, rb], NOW - 1_000)).toBe(25);
    expect(reputationScore([ra, rb], NOW - 1_000)).toBeLessThan(REPUTATION_THRESHOLD);
  });

  it('lets a worker back once its failures decay: two invalid results weigh less than the threshold after 0.21 half-lives', () => {
    const r = reputationOf(observers[0]!, worker, { wallMs: NOW, tally: { invalid: 2 } });
    expect(reputationScore([r], NOW + 0.2 * H)).toBeLessThan(REPUTATION_THRESHOLD);
    expect(reputationScore([r], NOW + 0.21 * H)).toBeGreaterThanOrEqual(REPUTATION_THRESHOLD);
    expect(reputationScore([r], NOW + H)).toBe(50);
  });

  it('counts a record stamped after the time asked undecayed', () => {
    const r = reputationOf(observers[0]!, worker, { wallMs: NOW + 2_000, tally: { invalid: 1 } });
    expect(reputationScore([r], NOW)).toBe(50);
  });

  it('sums the latency as the observers mean weighted by their valid counts', () => {
    const records = [reputationOf(observers[0]!, worker, { tally: { valid: 3, latencyMs: 100 } }), reputationOf(observers[1]!, worker, { tally: { valid: 1, latencyMs: 500 } })];
    expect(combinedTally(records, NOW - 1_000).latencyMs).toBe(200);
  });

  it('is the same whatever the order of the records, stays in 0..100, and valid results never raise it', () => {
    const tally = fc.record({
      valid: fc.double({ min: 0, max: 1e3, noNaN: true }),
      invalid: fc.double({ min: 0, max: 20, noNaN: true }),
      late: fc.double({ min: 0, max: 50, noNaN: true }),
      timeouts: fc.double({ min: 0, max: 50, noNaN: true }),
      latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
    });
    const record = fc.tuple(fc.nat({ max: observers.length - 1 }), fc.integer({ min: -4 * H, max: 0 }), tally).map(([o, age, t]) => reputationOf(observers[o]!, worker, { wallMs: NOW + age, tally: t }));
    const records = fc.array(record, { maxLength: 6 }).chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length, maxLength: rs.length })));
    fc.assert(
      fc.property(records, fc.double({ min: 1, max: 1e3, noNaN: true }), ([rs, shuffled], moreValid) => {
        const score = reputationScore(rs, NOW);
        expect(reputationScore(shuffled, NOW)).toBe(score);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(100);
        const withValid = [...rs, reputationOf(observers[0]!, worker, { wallMs: NOW, tally: { valid: moreValid } })];
        expect(reputationScore(withValid, NOW)).toBeLessThanOrEqual(Math.max(score, reputationScore([], NOW)));
        expect(reputationScore(withValid, NOW)).toBe(score);
      }),
      { numRuns: 50 },
    );
  });
});
