import { isField, type Crypto } from './crypto.ts';
import { reject, type TransferRejection } from './errors.ts';
import { noteCommitment, type PlacedNote } from './note.ts';
import { nullifierKey, NullifierSetError, type SetInsertion } from './nullifier-set.ts';
import { AMOUNT_BOUND, type TransferPolicy } from './policy.ts';
import { intentNullifier, KIND_CODE, noteNullifier, outputSalts, verifyIntentSignature, type SignedIntent } from './intent.ts';
import type { Ledger } from './ledger.ts';

/** One slot's private circuit inputs (transfer-batch.circom's per-slot arrays at one index). */
export interface SlotInput {
  isDeposit: bigint;
  isWithdraw: bigint;
  Ax: bigint;
  Ay: bigint;
  nk: bigint;
  sigS: bigint;
  sigR8x: bigint;
  sigR8y: bigint;
  recipient: bigint;
  amount: bigint;
  asset: bigint;
  nonce: bigint;
  seed: bigint;
  inAmount: bigint[];
  inSalt: bigint[];
  inPathElements: bigint[][];
  inPathIndices: bigint[][];
  insertPathElements: bigint[];
  lowValue: bigint[];
  lowNext: bigint[];
  lowPathElements: bigint[][];
  lowPathIndices: bigint[][];
  newPathElements: bigint[][];
}

/** A transfer applied to a ledger: its slot inputs, value balance and the notes it spent and created. */
export interface AppliedTransfer {
  slot: SlotInput;
  valueIn: bigint;
  valueOut: bigint;
  spent: PlacedNote[];
  /** The two created notes (to the recipient, change to the sender) at their leaves. */
  outputs: [PlacedNote, PlacedNote];
}

export interface ApplyOptions {
  /**
   * Build the inputs without refusing anything, so that only the circuit decides (soundness tests):
   * keys already in the set get the leaf holding them as their "low" leaf.
   */
  unchecked?: boolean;
}

const zeros = (n: number) => Array<bigint>(n).fill(0n);

/** Baby Jubjub's base point B8: an unused slot's stand-in key, so that its (unchecked) signature check works on curve points. */
const B8 = [
  5299619240641551281634865583518297030282874472190772894086521144482721001553n,
  16950150798460657717958625567821834550301663161624707787222815936182638968203n,
];

/**
 * The inputs of a slot not in use: zeros (amount 0: the circuit changes nothing), with B8 as the key and
 * the identity as R8 so that every value of the slot's witness is still pinned by a constraint.
 */
export function emptySlot(depth: number, nullDepth: number): SlotInput {
  return {
    isDeposit: 0n, isWithdraw: 0n, Ax: B8[0]!, Ay: B8[1]!, nk: 0n, sigS: 0n, sigR8x: 0n, sigR8y: 1n,
    recipient: 0n, amount: 0n, asset: 0n, nonce: 0n, seed: 0n,
    inAmount: zeros(2), inSalt: zeros(2),
    inPathElements: [zeros(depth), zeros(depth)], inPathIndices: [zeros(depth), zeros(depth)],
    insertPathElements: zeros(depth - 1),
    lowValue: zeros(3), lowNext: zeros(3),
    lowPathElements: [0, 1, 2].map(() => zeros(nullDepth)),
    lowPathIndices: [0, 1, 2].map(() => zeros(nullDepth)),
    newPathElements: [0, 1, 2].map(() => zeros(nullDepth)),
  };
}

/**
 * Checks a signed intent against the ledger and the policy exactly as the circuit will, then applies it:
 * appends the two created notes, inserts the spent notes' and the intent's nullifier keys, and returns the
 * slot's circuit inputs. A transfer the circuit would refuse is refused here, with a named reason
 * (`TransferRejectedError`), before any proving time is spent; the ledger is then left as it was.
 */
export function applyTransfer(
  crypto: Crypto,
  ledger: Ledger,
  policy: TransferPolicy,
  signed: SignedIntent,
  inputs: readonly PlacedNote[],
  options: ApplyOptions = {},
): AppliedTransfer {
  const fail: (code: TransferRejection, message: string) => void = options.unchecked ? () => {} : reject;
  const { intent, signature, auth, domain } = signed;
  // Every signed value but the kind (a name, encoded by KIND_CODE) must be a field element.
  const { kind, ...values } = intent;
  const fields = { domain, ...values, ...signature, ...auth };
  for (const [k, v] of Object.entries(fields)) if (!isField(v)) fail('MALFORMED_INTENT', `${k} is not a BN254 field element`);
  if (typeof kind !== 'string' || !Object.hasOwn(KIND_CODE, kind)) fail('MALFORMED_INTENT', `kind ${String(kind)} is not one of ${Object.keys(KIND_CODE).join(', ')}`);
  if (intent.amount <= 0n || intent.amount >= AMOUNT_BOUND) fail('AMOUNT_OUT_OF_RANGE', `amount ${intent.amount} is outside (0, 2^64)`);
  if (intent.amount > policy.complianceLimit) {
    fail('OVER_COMPLIANCE_LIMIT', `amount ${intent.amount} exceeds the compliance limit ${policy.complianceLimit}`);
  }
  if (!options.unchecked) verifyIntentSignature(crypto, signed);

  const isDeposit = intent.kind === 'deposit';
  const isWithdraw = intent.kind === 'withdraw';
  if ((isDeposit || isWithdraw) && intent.sender !== policy.minter) fail('NOT_MINTER', `only the minter may ${intent.kind}`);
  if (isWithdraw !== (intent.recipient === 0n)) {
    fail('MALFORMED_INTENT', isWithdraw ? 'a withdrawal pays recipient 0' : 'recipient 0 is only for a withdrawal');
  }
  if (inputs.length > 2) fail('MALFORMED_INTENT', `a transfer spends at most 2 notes, got ${inputs.length}`);
  if (isDeposit && inputs.length > 0) fail('MALFORMED_INTENT', 'a deposit spends no notes');
  if (!isDeposit && inputs.length === 0) fail('INSUFFICIENT_FUNDS', `a ${intent.kind} spends at least one note of the sender`);
  for (const n of inputs) {
    if (n.amount <= 0n || n.amount >= AMOUNT_BOUND) fail('AMOUNT_OUT_OF_RANGE', `note at leaf ${n.index} holds ${n.amount}, outside (0, 2^64)`);
    if (n.owner !== intent.sender) fail('NOTE_NOT_OWNED', `note at leaf ${n.index} is not owned by the sender`);
    if (n.asset !== intent.asset) fail('ASSET_MISMATCH', `note at leaf ${n.index} holds asset ${n.asset}, the intent moves asset ${intent.asset}`);
    if (ledger.tree.leaf(n.index) !== noteCommitment(crypto, n)) fail('NOTE_NOT_IN_TREE', `no such note at leaf ${n.index} of the tree at root ${ledger.tree.root}`);
  }
  const valueIn = isDeposit ? intent.amount : 0n;
  const valueOut = isWithdraw ? intent.amount : 0n;
  const inTotal = inputs.reduce((s, n) => s + n.amount, 0n);
  const change = inTotal + valueIn - intent.amount;
  if (change < 0n) fail('INSUFFICIENT_FUNDS', `the spent notes hold ${inTotal}, the intent moves ${intent.amount}`);
  if (change >= AMOUNT_BOUND) fail('AMOUNT_OUT_OF_RANGE', `change ${change} is not below 2^64`);
  if (ledger.tree.size + 2 > ledger.tree.capacity) reject('TREE_FULL', `the note tree is full (${ledger.tree.capacity} leaves)`);

  const slots = [0, 1].map((j) => inputs[j]);
  const nullifiers = [
    ...slots.map((n) => (n ? noteNullifier(crypto, noteCommitment(crypto, n), n.index, auth.nk) : undefined)),
    intentNullifier(crypto, auth.nk, intent.nonce),
  ];
  const keys = nullifiers.map((nf) => (nf === undefined ? undefined : nullifierKey(nf)));
  if (slots[0] && slots[1] && slots[0].index === slots[1].index) fail('NULLIFIER_REUSED', `note at leaf ${slots[0].index} is spent twice`);
  keys.forEach((k, j) => {
    if (k !== undefined && ledger.nullifiers.has(k)) {
      if (j === 2) fail('INTENT_REPLAYED', `intent nonce ${intent.nonce} of this sender was already used`);
      else fail('NULLIFIER_REUSED', `note at leaf ${slots[j]!.index} is already spent`);
    }
  });
  if (ledger.nullifiers.size + keys.filter((k) => k !== undefined).length > ledger.nullifiers.capacity) {
    reject('TREE_FULL', `the nullifier set is full (${ledger.nullifiers.capacity} leaves)`);
  }

  // Every check passed (or was waived): apply.
  const tree = ledger.tree;
  const inPaths = slots.map((n) => (n && Number.isInteger(n.index) && n.index >= 0 && n.index < tree.capacity ? tree.path(n.index) : tree.path(0)));
  const salts = outputSalts(crypto, intent.seed);
  const outNotes = [
    { owner: intent.recipient, amount: intent.amount - valueOut, asset: intent.asset, salt: salts[0] },
    { owner: intent.sender, amount: change, asset: intent.asset, salt: salts[1] },
  ];
  const commitments = outNotes.map((n) => noteCommitment(crypto, n)) as [bigint, bigint];
  const insertAt = tree.size;
  const insertPath = tree.path(insertAt / 2, 1);
  tree.appendPair(commitments[0], commitments[1]);
  const insertions = keys.map((k) => (k === undefined ? undefined : insertKey(ledger, k, options)));

  const slot: SlotInput = {
    isDeposit: isDeposit ? 1n : 0n,
    isWithdraw: isWithdraw ? 1n : 0n,
    Ax: auth.Ax, Ay: auth.Ay, nk: auth.nk,
    sigS: signature.S, sigR8x: signature.R8x, sigR8y: signature.R8y,
    recipient: intent.recipient, amount: intent.amount, asset: intent.asset, nonce: intent.nonce, seed: intent.seed,
    inAmount: slots.map((n) => n?.amount ?? 0n),
    inSalt: slots.map((n) => n?.salt ?? 0n),
    inPathElements: slots.map((n, j) => (n ? inPaths[j]!.elements : zeros(tree.depth))),
    inPathIndices: slots.map((n, j) => (n ? inPaths[j]!.indices.map(BigInt) : zeros(tree.depth))),
    insertPathElements: insertPath.elements,
    lowValue: insertions.map((s) => s?.lowValue ?? 0n),
    lowNext: insertions.map((s) => s?.lowNext ?? 0n),
    lowPathElements: insertions.map((s) => s?.lowPath.elements ?? zeros(ledger.nullifiers.depth)),
    lowPathIndices: insertions.map((s) => s?.lowPath.indices.map(BigInt) ?? zeros(ledger.nullifiers.depth)),
    newPathElements: insertions.map((s) => s?.newPathElements ?? zeros(ledger.nullifiers.depth)),
  };
  const outputs = outNotes.map((n, i) => ({ ...n, index: insertAt + i, commitment: commitments[i]! })) as [PlacedNote, PlacedNote];
  return { slot, valueIn, valueOut, spent: inputs.filter((n) => n !== undefined), outputs };
}

/** Inserts `key`; unchecked, a key already present gets the leaf holding it as its low leaf (no change). */
function insertKey(ledger: Ledger, key: bigint, options: ApplyOptions): SetInsertion {
  try {
    return ledger.nullifiers.insert(key);
  } catch (err) {
    if (options.unchecked && err instanceof NullifierSetError && err.code === 'KEY_PRESENT') return ledger.nullifiers.presentWitness(key);
    throw err;
  }
}
