/**
 * The circuit the suite runs on: k = 1 with depths 10 and 11 (54,952 constraints, 2^16), about 0.6 of the
 * built-in circuit's constraints and half its domain, so every proof the suite makes costs about half.
 * The code paths are the same for every depth; test/setup/fast-setup.test.ts proves and verifies on the
 * built-in circuit itself. A `DREX_CIRCUIT` already set (`DREX_CIRCUIT=k1-d20-n21 npm test`) wins.
 */
export const SUITE_CIRCUIT = 'k1-d10-n11';

/** Sets `DREX_CIRCUIT` to the suite's circuit unless it is set; call before the circuits are imported. */
export function useSuiteCircuit(): string {
  if (!process.env.DREX_CIRCUIT) process.env.DREX_CIRCUIT = SUITE_CIRCUIT;
  return process.env.DREX_CIRCUIT;
}
