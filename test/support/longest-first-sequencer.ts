import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Rough wall times (seconds) of the slow test files on the 2-core CI machine. Starting the longest
 * first packs the two workers evenly (the chaos run alone takes about a third of the suite); files not
 * listed are short and run after, in vitest's own order.
 */
const SECONDS: Record<string, number> = {
  'test/chaos/chaos.test.ts': 330,
  'test/pipeline/fault-tolerance.test.ts': 210,
  'test/pipeline/settlement.test.ts': 180,
  'test/pipeline/leader-failover.test.ts': 165,
  'ledger-bridge/settlement.test.ts': 155,
  'test/pipeline/batch-flow.test.ts': 140,
  'aggregator/batch-verify.test.ts': 110,
  'test/cli/devnet.test.ts': 60,
  'worker/node/node-worker.test.ts': 60,
  'cli/commands/prove.test.ts': 40,
  'aggregator/settlement-package.test.ts': 30,
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
