import { describe, expect, it } from 'vitest';
import { circuitFromEnv, InvalidCircuitNameError, parseCircuitName } from './circuit-name.ts';
import { BUILT_IN_CIRCUIT, specName } from './compile.ts';

describe('circuit names', () => {
  it('parse both the short form and the cache form, and round-trip through specName', () => {
    expect(parseCircuitName('k4-d10-n11')).toEqual({ circuit: 'transfer-batch', k: 4, depth: 10, nullDepth: 11 });
    expect(parseCircuitName(specName(BUILT_IN_CIRCUIT))).toEqual(BUILT_IN_CIRCUIT);
  });

  it('refuse malformed names and parameters out of range, naming what is wrong', () => {
    for (const [name, reason] of [
      ['k4-d10', /not of the form/],
      ['k4-d10-n11-x', /not of the form/],
      ['k0-d10-n11', /transfers per proof must be 1..64, got 0/],
      ['k65-d10-n11', /got 65/],
      ['k1-d1-n11', /note-tree depth must be 2..32, got 1/],
      ['k1-d10-n33', /nullifier-set depth must be 2..32, got 33/],
    ] as const) {
      const err = (() => {
        try {
          parseCircuitName(name);
        } catch (e) {
          return e;
        }
      })();
      expect(err, name).toBeInstanceOf(InvalidCircuitNameError);
      expect((err as InvalidCircuitNameError).code).toBe('INVALID_CIRCUIT_NAME');
      expect((err as Error).message).toMatch(reason);
    }
  });

  it('come from DREX_CIRCUIT when it is set, else the built-in circuit; a bad one is a named error', () => {
    expect(circuitFromEnv(BUILT_IN_CIRCUIT, {})).toBe(BUILT_IN_CIRCUIT);
    expect(circuitFromEnv(BUILT_IN_CIRCUIT, { DREX_CIRCUIT: '' })).toBe(BUILT_IN_CIRCUIT);
    expect(circuitFromEnv(BUILT_IN_CIRCUIT, { DREX_CIRCUIT: 'k8-d20-n21' }).k).toBe(8);
    expect(() => circuitFromEnv(BUILT_IN_CIRCUIT, { DREX_CIRCUIT: 'eight' })).toThrow(/^DREX_CIRCUIT: circuit name "eight"/);
  });
});
