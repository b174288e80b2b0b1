import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Rough wall times (seconds) of the slow test files on the 2-core CI machine, two files at a time.
 * Starting the longest first packs the two workers evenly; files not listed are short and run after, in
 * vitest's own order. (The chaos run is a group of its own, after these: vitest.config.ts.)
 */
const SECONDS: Record<string, number> = {
  'test/pipeline/fault-tolerance.test.ts': 380,
  'ledger-bridge/settlement-v2.test.ts': 360,
  'test/security/split-proving.test.ts': 270,
  'ledger-bridge/settlement.test.ts': 245,
  'test/pipeline/settlement.test.ts': 240,
  'test/pipeline/leader-failover.test.ts': 185,
  'test/pipeline/batch-flow.test.ts': 155,
  'aggregator/batch-verify.test.ts': 140,
  'worker/node/node-worker.test.ts': 100,
  'circuits/src/transfer-batch-circuit.test.ts': 90,
  'ledger-bridge/governance.test.ts': 85,
  'test/cli/devnet.test.ts': 85,
  'test/security/nats-attacker.test.ts': 80,
  'aggregator/split/split-intake.test.ts': 70,
  'worker/node/half-jobs.test.ts': 65,
  'cli/commands/prove.test.ts': 40,
  'aggregator/settlement-package.test.ts': 25,
};

const weight = (f: TestSpecification) => {
  const path = f.moduleId.replaceAll('\\', '/');
  const key = Object.keys(SECONDS).find((k) => path.endsWith(`/${k}`));
  return key ? SECONDS[key]! : 0;
};

/** Longest first (see SECONDS), then vitest's default order. */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    return base.map((f, i) => ({ f, i, w: weight(f) })).sort((a, b) => b.w - a.w || a.i - b.i).map((x) => x.f);
  }
}
