import { FIELD_ORDER, isField, type Crypto } from './crypto.ts';
import { reject, TransferRejectedError, type TransferRejection } from './errors.ts';
import { intentNullifier, verifyIntentSignature, WITHDRAW_RECIPIENT, type SignedIntent } from './intent.ts';
import { noteCommitment, noteNullifier, randomField, type PlacedNote } from './note.ts';
import type { NoteTree } from './note-tree.ts';

/** 2^64: every amount is strictly below it. */
export const AMOUNT_BOUND = 1n << 64n;

/** Rules that the ledger enforces and that every transfer's public signals carry. */
export interface TransferPolicy {
  /** Largest amount one transfer may move (public input `limit`). */
  complianceLimit: bigint;
  /** Owner id of the minter role: the only sender allowed a nonzero value balance. */
  minter: bigint;
}

/** The public signals of one transfer, in the circuit's order. */
export interface TransferPublic {
  rootBefore: bigint;
  rootAfter: bigint;
  nullifiers: [bigint, bigint];
  commitments: [bigint, bigint];
  valueIn: bigint;
  valueOut: bigint;
  limit: bigint;
  minter: bigint;
  intentNullifier: bigint;
}

/** Number of public signals of the transfer circuit. */
export const PUBLIC_SIGNAL_COUNT = 11;

/** What to prove: a signed intent, the notes it spends and the salts of the notes it creates. */
export interface TransferSpec {
  signed: SignedIntent;
  /** Up to two of the sender's notes, in the tree. */
  inputs: readonly PlacedNote[];
  /** Salts of the two created notes; random when omitted. */
  outSalts?: readonly [bigint, bigint];
  /** When given, must equal the change the spent notes leave. */
  change?: bigint;
  /** When given, must equal the root after inserting the created notes. */
  expectedRootAfter?: bigint;
}

/** Circuit inputs (decimal strings, as snarkjs takes them) with their public part. */
export interface TransferWitness {
  input: Record<string, string | string[] | string[][]>;
  public: TransferPublic;
  /** The two created notes at the leaf indices the insertion gives them. */
  outputs: [PlacedNote, PlacedNote];
}

/** The public signals as snarkjs lists them (decimal strings, circuit order). */
export function publicSignalsOf(p: TransferPublic): string[] {
  return [
    p.rootBefore,
    p.rootAfter,
    ...p.nullifiers,
    ...p.commitments,
    p.valueIn,
    p.valueOut,
    p.limit,
    p.minter,
    p.intentNullifier,
  ].map(String);
}

/** Parses snarkjs's public signals back into their named form. */
export function parsePublicSignals(signals: readonly string[]): TransferPublic {
  if (signals.length !== PUBLIC_SIGNAL_COUNT) {
    throw new RangeError(`expected ${PUBLIC_SIGNAL_COUNT} public signals, got ${signals.length}`);
  }
  const v = signals.map((s) => BigInt(s));
  return {
    rootBefore: v[0]!,
    rootAfter: v[1]!,
    nullifiers: [v[2]!, v[3]!],
    commitments: [v[4]!, v[5]!],
    valueIn: v[6]!,
    valueOut: v[7]!,
    limit: v[8]!,
    minter: v[9]!,
    intentNullifier: v[10]!,
  };
}

export interface BuildOptions {
  /**
   * Build the inputs without refusing anything, so that only the circuit decides. For soundness tests
   * and audits: such inputs are expected to fail witness generation.
   */
  unchecked?: boolean;
}

// Circuit inputs are field elements: negative or oversized values (only in unchecked builds) wrap mod p.
const str = (x: bigint) => (((x % FIELD_ORDER) + FIELD_ORDER) % FIELD_ORDER).toString();

/**
 * Checks a transfer against the tree and policy and builds its circuit inputs, so that a transfer the
 * circuit would refuse is refused here, with a named reason, before any proving time is spent.
 * Does not modify the tree.
 */
export function buildTransferWitness(
  crypto: Crypto,
  tree: NoteTree,
  policy: TransferPolicy,
  spec: TransferSpec,
  options: BuildOptions = {},
): TransferWitness {
  const fail: (code: TransferRejection, message: string) => void = options.unchecked ? () => {} : reject;
  const checkAmount = (name: string, x: bigint) => {
    if (x < 0n || x >= AMOUNT_BOUND) fail('AMOUNT_OUT_OF_RANGE', `${name} ${x} is outside [0, 2^64)`);
  };
  const checkField = (name: string, x: bigint) => {
    if (!isField(x)) fail('MALFORMED_INTENT', `${name} is not a BN254 field element`);
  };
  const { intent, signature, auth } = spec.signed;
  for (const [k, v] of Object.entries(intent)) checkField(`intent.${k}`, v);
  for (const [k, v] of Object.entries(signature)) checkField(`signature.${k}`, v);
  for (const [k, v] of Object.entries(auth)) checkField(`auth.${k}`, v);
  checkAmount('amount', intent.amount);
  if (policy.complianceLimit < 0n || policy.complianceLimit >= AMOUNT_BOUND) {
    throw new RangeError('compliance limit must be in [0, 2^64)');
  }
  if (intent.amount > policy.complianceLimit) {
    fail('OVER_COMPLIANCE_LIMIT', `amount ${intent.amount} exceeds the compliance limit ${policy.complianceLimit}`);
  }
  if (!options.unchecked) verifyIntentSignature(crypto, spec.signed);

  const spent = spec.inputs.filter((n) => n.amount !== 0n);
  if (spec.inputs.length > 2) fail('MALFORMED_INTENT', `a transfer spends at most 2 notes, got ${spec.inputs.length}`);
  for (const n of spent) {
    checkAmount('input note amount', n.amount);
    if (n.owner !== intent.sender) fail('NOTE_NOT_OWNED', `note at leaf ${n.index} is not owned by the sender`);
    if (n.asset !== intent.asset) fail('ASSET_MISMATCH', `note at leaf ${n.index} holds asset ${n.asset}, the intent moves asset ${intent.asset}`);
    const c = noteCommitment(crypto, n);
    if (!Number.isInteger(n.index) || tree.leaf(n.index) !== c) {
      fail('NOTE_NOT_IN_TREE', `no note with commitment ${c} at leaf ${n.index} of the tree at root ${tree.root}`);
    }
  }
  if (spent.length === 2 && spent[0]!.index === spent[1]!.index) {
    fail('NULLIFIER_REUSED', `note at leaf ${spent[0]!.index} is spent twice in one transfer`);
  }

  const isWithdraw = intent.recipient === WITHDRAW_RECIPIENT;
  const valueIn = spent.length === 0 ? intent.amount : 0n;
  const valueOut = isWithdraw ? intent.amount : 0n;
  if ((valueIn !== 0n || valueOut !== 0n) && intent.sender !== policy.minter) {
    fail(
      'NOT_MINTER',
      isWithdraw
        ? 'only the minter may withdraw (recipient 0)'
        : 'only the minter may deposit (a transfer without input notes); spend existing notes instead',
    );
  }
  const inTotal = spent.reduce((s, n) => s + n.amount, 0n);
  const change = spec.change !== undefined && options.unchecked ? spec.change : inTotal + valueIn - intent.amount;
  if (change < 0n) {
    fail('INSUFFICIENT_FUNDS', `the spent notes hold ${inTotal}, the intent moves ${intent.amount}`);
  }
  checkAmount('change', change);
  if (spec.change !== undefined && spec.change !== change) {
    fail('UNBALANCED', `inputs ${inTotal} + deposit ${valueIn} != amount ${intent.amount} + change ${spec.change}`);
  }

  if (tree.size + 2 > tree.capacity) reject('TREE_FULL', `the note tree is full (${tree.capacity} leaves)`);
  const outSalts = spec.outSalts ?? [randomField(), randomField()];
  outSalts.forEach((s, i) => checkField(`outSalts[${i}]`, s));
  const outNotes = [
    { owner: intent.recipient, amount: intent.amount - valueOut, asset: intent.asset, salt: outSalts[0] },
    { owner: intent.sender, amount: change, asset: intent.asset, salt: outSalts[1] },
  ];
  const commitments = outNotes.map((n) => noteCommitment(crypto, n)) as [bigint, bigint];
  const insertAt = tree.size;
  const insertPath = tree.path(insertAt / 2, 1);
  let rootAfter = crypto.hash(commitments);
  insertPath.elements.forEach((sib, l) => {
    rootAfter = insertPath.indices[l] ? crypto.hash([sib, rootAfter]) : crypto.hash([rootAfter, sib]);
  });
  if (spec.expectedRootAfter !== undefined && spec.expectedRootAfter !== rootAfter) {
    fail('ROOT_MISMATCH', `root_after ${spec.expectedRootAfter} is not the root ${rootAfter} that inserting the new notes gives`);
    rootAfter = spec.expectedRootAfter;
  }

  // Unused input slots hold a zero-amount note of the sender with a fresh salt (never checked against the tree).
  const slots = [0, 1].map((k) => {
    const n = spent[k];
    if (n) {
      const inTree = Number.isInteger(n.index) && n.index >= 0 && n.index < tree.capacity;
      return { note: n, index: n.index, path: inTree ? tree.path(n.index) : tree.path(0) };
    }
    const dummy = { owner: intent.sender, amount: 0n, asset: intent.asset, salt: randomField() };
    return { note: dummy, index: 0, path: { elements: Array(tree.depth).fill(0n), indices: Array(tree.depth).fill(0) } };
  });
  const nullifiers = slots.map((s) =>
    noteNullifier(crypto, noteCommitment(crypto, s.note), s.index, auth.nk),
  ) as [bigint, bigint];

  const pub: TransferPublic = {
    rootBefore: tree.root,
    rootAfter,
    nullifiers,
    commitments,
    valueIn,
    valueOut,
    limit: policy.complianceLimit,
    minter: policy.minter,
    intentNullifier: intentNullifier(crypto, auth.nk, intent.nonce),
  };
  const input = {
    rootBefore: str(pub.rootBefore),
    rootAfter: str(pub.rootAfter),
    nullifier: pub.nullifiers.map(str),
    commitment: pub.commitments.map(str),
    valueIn: str(valueIn),
    valueOut: str(valueOut),
    limit: str(pub.limit),
    minter: str(pub.minter),
    intentNullifier: str(pub.intentNullifier),
    Ax: str(auth.Ax),
    Ay: str(auth.Ay),
    nk: str(auth.nk),
    sigS: str(signature.S),
    sigR8x: str(signature.R8x),
    sigR8y: str(signature.R8y),
    recipient: str(intent.recipient),
    amount: str(intent.amount),
    asset: str(intent.asset),
    nonce: str(intent.nonce),
    inAmount: slots.map((s) => str(s.note.amount)),
    inSalt: slots.map((s) => str(s.note.salt)),
    inPathElements: slots.map((s) => s.path.elements.map(str)),
    inPathIndices: slots.map((s) => s.path.indices.map(String)),
    outSalt: outSalts.map(str),
    change: str(change),
    insertPathElements: insertPath.elements.map(str),
    insertPathIndices: insertPath.indices.map(String),
  };
  const outputs = outNotes.map((n, i) => ({ ...n, index: insertAt + i, commitment: commitments[i]! })) as [PlacedNote, PlacedNote];
  return { input, public: pub, outputs };
}

export { TransferRejectedError };
