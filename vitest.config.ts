import { defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/longest-first-sequencer.ts';
import { useSuiteCircuit } from './test/support/suite-circuit.ts';

// Every test file and every process a test starts inherits it (test/support/suite-circuit.ts).
useSuiteCircuit();

/**
 * Two groups, one after the other: every test file but the chaos run (two at a time, longest first),
 * then the chaos run alone. Its devnet proves 64 transfers (16 proofs of 4) in split halves while its parts are killed;
 * beside another file's devnet on two cores it takes twice as long and its timings stop meaning much.
 */
const CHAOS = ['test/chaos/**/*.test.ts'];

export default defineConfig({
  test: {
    exclude: ['node_modules/**', '.tmp/**'],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/release-snarkjs.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['**/*.test.ts'], exclude: ['node_modules/**', '.tmp/**', ...CHAOS], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'chaos', include: CHAOS, sequence: { groupOrder: 1 } } },
    ],
  },
});
