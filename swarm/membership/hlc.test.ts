import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockSkewError, compareHlc, HlcCounterOverflowError, HlcOptionsError, HybridClock, MAX_HLC_COUNTER, type Hlc } from './hlc.ts';

/** A clock whose wall time the test sets. */
function clockAt(start: number, node = 'a', maxSkewMs = 1_000) {
  const wall = { now: start };
  return { wall, clock: new HybridClock(node, { maxSkewMs, wallClock: () => wall.now }) };
}

describe('hybrid logical clock', () => {
  it('follows the wall clock while it advances, and counts within one millisecond', () => {
    const { wall, clock } = clockAt(1_000);
    expect(clock.now()).toEqual({ wallMs: 1_000, counter: 0, node: 'a' });
    expect(clock.now()).toEqual({ wallMs: 1_000, counter: 1, node: 'a' });
    wall.now = 1_005;
    expect(clock.now()).toEqual({ wallMs: 1_005, counter: 0, node: 'a' });
  });

  it('keeps moving forward when the wall clock steps back', () => {
    const { wall, clock } = clockAt(2_000);
    const before = clock.now();
    wall.now = 1_500;
    const after = clock.now();
    expect(after).toEqual({ wallMs: 2_000, counter: 1, node: 'a' });
    expect(compareHlc(after, before)).toBeGreaterThan(0);
  });

  it('on receive, moves past a remote clock ahead of it (within the skew) and past its own', () => {
    const { clock } = clockAt(1_000);
    clock.now();
    expect(clock.receive({ wallMs: 1_800, counter: 7, node: 'b' })).toEqual({ wallMs: 1_800, counter: 8, node: 'a' });
    expect(clock.receive({ wallMs: 1_800, counter: 3, node: 'b' })).toEqual({ wallMs: 1_800, counter: 9, node: 'a' });
    expect(clock.receive({ wallMs: 900, counter: 50, node: 'b' })).toEqual({ wallMs: 1_800, counter: 10, node: 'a' });
  });

  it('refuses a remote clock further ahead than the skew bound, with a named error, and stays unchanged', () => {
    const { clock } = clockAt(1_000, 'a', 1_000);
    clock.now();
    expect(clock.receive({ wallMs: 2_000, counter: 0, node: 'b' }).wallMs).toBe(2_000);
    const err = (() => {
      try {
        clock.receive({ wallMs: 2_001, counter: 0, node: 'b' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ClockSkewError);
    expect(err).toMatchObject({ code: 'CLOCK_SKEW', remoteWallMs: 2_001, localWallMs: 1_000, maxSkewMs: 1_000 });
    expect(clock.current()).toEqual({ wallMs: 2_000, counter: 1, node: 'a' });
  });

  it('refuses to pass the counter bound rather than wrap', () => {
    const { clock } = clockAt(1_000);
    clock.receive({ wallMs: 1_000, counter: MAX_HLC_COUNTER - 1, node: 'b' });
    expect(() => clock.now()).toThrow(HlcCounterOverflowError);
    expect(clock.current().counter).toBe(MAX_HLC_COUNTER);
  });

  it('resumes after a restart from the last timestamp it issued', () => {
    const clock = new HybridClock('a', { maxSkewMs: 0, wallClock: () => 10, last: { wallMs: 50, counter: 2, node: 'a' } });
    expect(clock.now()).toEqual({ wallMs: 50, counter: 3, node: 'a' });
  });

  it('refuses bad options by name', () => {
    expect(() => new HybridClock('', { maxSkewMs: 1 })).toThrow(HlcOptionsError);
    expect(() => new HybridClock('a', { maxSkewMs: -1 })).toThrow(HlcOptionsError);
    expect(() => new HybridClock('a', { maxSkewMs: 0.5 })).toThrow(HlcOptionsError);
  });

  it('orders by wall time, then counter, then node id', () => {
    const t = (wallMs: number, counter: number, node: string): Hlc => ({ wallMs, counter, node });
    expect(compareHlc(t(1, 9, 'z'), t(2, 0, 'a'))).toBeLessThan(0);
    expect(compareHlc(t(2, 1, 'a'), t(2, 0, 'z'))).toBeGreaterThan(0);
    expect(compareHlc(t(2, 1, 'a'), t(2, 1, 'b'))).toBeLessThan(0);
    expect(compareHlc(t(2, 1, 'b'), t(2, 1, 'b'))).toBe(0);
  });

  it('issues strictly increasing timestamps, each after every one it received, whatever the wall clock does', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), wall: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({ kind: fc.constant('recv' as const), wall: fc.integer({ min: 0, max: 10_000 }), remoteWall: fc.integer({ min: 0, max: 12_000 }), counter: fc.integer({ min: 0, max: 1_000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const wall = { now: 0 };
        const clock = new HybridClock('n', { maxSkewMs: 1_000, wallClock: () => wall.now });
        let last: Hlc | undefined;
        for (const s of steps) {
          wall.now = s.wall;
          let next: Hlc;
          if (s.kind === 'tick') next = clock.now();
          else {
            const remote = { wallMs: s.remoteWall, counter: s.counter, node: 'm' };
            if (s.remoteWall - s.wall > 1_000) {
              expect(() => clock.receive(remote)).toThrow(ClockSkewError);
              continue;
            }
            next = clock.receive(remote);
            expect(compareHlc(next, remote)).toBeGreaterThan(0);
          }
          if (last) expect(compareHlc(next, last)).toBeGreaterThan(0);
          expect(next.wallMs).toBeGreaterThanOrEqual(s.wall);
          last = next;
        }
      }),
      { numRuns: 200 },
    );
  });
});
