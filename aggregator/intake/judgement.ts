import type { UnsignedVerdictV1 } from '../../protocol/messages/verdict.ts';

/** What judging one result came to. */
export interface Judgement {
  /** Verdicts to sign and publish, in order: none when the result is dropped or waits for its sibling half. */
  verdicts: UnsignedVerdictV1[];
  /** To call once every verdict is published (split proving records that its decision went out). */
  published?: () => Promise<void>;
}

/** No verdict. */
export const NO_VERDICT: Judgement = Object.freeze({ verdicts: [] }) as Judgement;
