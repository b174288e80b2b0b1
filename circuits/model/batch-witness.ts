import { FIELD_ORDER } from './crypto.ts';
import type { TransferPolicy } from './policy.ts';
import type { LedgerPoint } from './ledger.ts';
import { emptySlot, type AppliedTransfer, type SlotInput } from './transfer-slot.ts';

/** The public signals of one k-transfer proof, in the circuit's order. */
export interface BatchPublic {
  noteRootBefore: bigint;
  noteRootAfter: bigint;
  /** The next free note leaf before the proof: its pairs are appended from there, in order. */
  noteIndex: bigint;
  nullRootBefore: bigint;
  nullRootAfter: bigint;
  /** Slots in use. */
  transfers: bigint;
  valueIn: bigint;
  valueOut: bigint;
  limit: bigint;
  minter: bigint;
  domain: bigint;
}

/** Number of public signals of the k-transfer circuit, whatever k. */
export const BATCH_PUBLIC_SIGNAL_COUNT = 11;

const ORDER = ['noteRootBefore', 'noteRootAfter', 'noteIndex', 'nullRootBefore', 'nullRootAfter', 'transfers', 'valueIn', 'valueOut', 'limit', 'minter', 'domain'] as const;

/** The public signals as snarkjs lists them (decimal strings, circuit order). */
export function batchPublicSignals(p: BatchPublic): string[] {
  return ORDER.map((k) => String(p[k]));
}

/** Parses snarkjs's public signals back into their named form. */
export function parseBatchPublicSignals(signals: readonly string[]): BatchPublic {
  if (signals.length !== BATCH_PUBLIC_SIGNAL_COUNT) throw new RangeError(`expected ${BATCH_PUBLIC_SIGNAL_COUNT} public signals, got ${signals.length}`);
  return Object.fromEntries(ORDER.map((k, i) => [k, BigInt(signals[i]!)])) as unknown as BatchPublic;
}

/** Circuit inputs: decimal strings, nested as the circuit's arrays. */
export type CircuitInput = Record<string, string | string[] | string[][] | string[][][]>;

/** A k-transfer proof's inputs with its public part. */
export interface BatchWitness {
  input: CircuitInput;
  public: BatchPublic;
}

// Inputs are field elements: negative or oversized values (only in unchecked builds) wrap mod p.
const str = (x: bigint) => (((x % FIELD_ORDER) + FIELD_ORDER) % FIELD_ORDER).toString();
type Nested = bigint | Nested[];
const strs = (x: Nested): string | Nested => (typeof x === 'bigint' ? str(x) : x.map(strs) as Nested);

/**
 * The inputs of one proof over `applied` (at most k transfers, applied in this order from `before` to
 * `after`); unused slots are zeros.
 */
export function batchWitness(
  params: { k: number; depth: number; nullDepth: number; policy: TransferPolicy; domain: bigint },
  before: LedgerPoint,
  after: LedgerPoint,
  applied: readonly AppliedTransfer[],
): BatchWitness {
  const { k, depth, nullDepth, policy, domain } = params;
  if (applied.length > k) throw new RangeError(`a proof holds at most ${k} transfers, got ${applied.length}`);
  const slots: SlotInput[] = Array.from({ length: k }, (_, s) => applied[s]?.slot ?? emptySlot(depth, nullDepth));
  const pub: BatchPublic = {
    noteRootBefore: before.noteRoot,
    noteRootAfter: after.noteRoot,
    noteIndex: BigInt(before.noteIndex),
    nullRootBefore: before.nullRoot,
    nullRootAfter: after.nullRoot,
    transfers: BigInt(applied.length),
    valueIn: applied.reduce((s, a) => s + a.valueIn, 0n),
    valueOut: applied.reduce((s, a) => s + a.valueOut, 0n),
    limit: policy.complianceLimit,
    minter: policy.minter,
    domain,
  };
  const input: CircuitInput = Object.fromEntries(ORDER.map((key) => [key, str(pub[key])]));
  input.setRootBefore = str(before.setRoot);
  input.setNextBefore = str(BigInt(before.setSize));
  for (const key of Object.keys(slots[0]!) as (keyof SlotInput)[]) {
    input[key] = slots.map((s) => strs(s[key] as Nested)) as CircuitInput[string];
  }
  return { input, public: pub };
}
