pragma circom 2.1.0;

// drex-swarm private transfer (Groth16 / BN254).
//
// A note is commitment = Poseidon(owner, amount, asset, salt) in an append-only Poseidon Merkle tree.
// An owner is owner = Poseidon(Ax, Ay, nk): an EdDSA-Poseidon (Baby Jubjub) public key and a nullifier key.
// The owner signs an intent (sender, recipient, amount, asset, nonce); the proof shows that the transfer
// spends up to two of the sender's notes that are in the tree at rootBefore, creates exactly the two notes
// the intent allows (amount to the recipient, change back to the sender), balances, respects the compliance
// limit, and appends both new commitments to the tree, taking rootBefore to rootAfter.
//
// Deposit (mint): the minter's intent with no input notes; valueIn = amount.
// Withdraw (burn): the minter's intent to recipient 0; valueOut = amount.
// Any other transfer has valueIn = valueOut = 0.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";
include "merkle.circom";

// emptyPair = Poseidon(0, 0): the root of an empty two-leaf subtree.
template Transfer(depth, emptyPair) {
    // ---- public ----
    signal input rootBefore;
    signal input rootAfter;
    signal input nullifier[2];
    signal input commitment[2];
    signal input valueIn;
    signal input valueOut;
    signal input limit;
    signal input minter;
    signal input intentNullifier;

    // ---- private: the sender's keys and signature ----
    signal input Ax;
    signal input Ay;
    signal input nk;
    signal input sigS;
    signal input sigR8x;
    signal input sigR8y;

    // ---- private: the intent ----
    signal input recipient;
    signal input amount;
    signal input asset;
    signal input nonce;

    // ---- private: spent notes (amount 0 = unused slot) ----
    signal input inAmount[2];
    signal input inSalt[2];
    signal input inPathElements[2][depth];
    signal input inPathIndices[2][depth];

    // ---- private: created notes and their insertion ----
    signal input outSalt[2];
    signal input change;
    signal input insertPathElements[depth - 1];
    signal input insertPathIndices[depth - 1];

    // Owner identity and authorization of exactly this intent.
    signal sender <== Poseidon(3)([Ax, Ay, nk]);
    signal intentHash <== Poseidon(5)([sender, recipient, amount, asset, nonce]);
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== 1;
    sig.Ax <== Ax;
    sig.Ay <== Ay;
    sig.S <== sigS;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.M <== intentHash;

    // One intent per (sender, nonce): its nullifier is public, so the ledger can refuse a replay.
    signal expectedIntentNullifier <== Poseidon(2)([nk, nonce]);
    intentNullifier === expectedIntentNullifier;

    // 64-bit amounts.
    component amountBits = Num2Bits(64);
    amountBits.in <== amount;
    component changeBits = Num2Bits(64);
    changeBits.in <== change;
    component limitBits = Num2Bits(64);
    limitBits.in <== limit;
    component inBits[2];

    // Spent notes: owned by the sender, in the tree at rootBefore, with nullifiers bound to note and key.
    signal inCommit[2];
    signal expectedNullifier[2];
    component inPath[2];
    component inUnused[2];
    component inRootCheck[2];
    for (var k = 0; k < 2; k++) {
        inBits[k] = Num2Bits(64);
        inBits[k].in <== inAmount[k];
        inCommit[k] <== Poseidon(4)([sender, inAmount[k], asset, inSalt[k]]);
        inPath[k] = MerkleRoot(depth);
        inPath[k].leaf <== inCommit[k];
        inPath[k].pathElements <== inPathElements[k];
        inPath[k].pathIndices <== inPathIndices[k];
        inUnused[k] = IsZero();
        inUnused[k].in <== inAmount[k];
        inRootCheck[k] = ForceEqualIfEnabled();
        inRootCheck[k].enabled <== 1 - inUnused[k].out;
        inRootCheck[k].in[0] <== inPath[k].root;
        inRootCheck[k].in[1] <== rootBefore;
        expectedNullifier[k] <== Poseidon(3)([inCommit[k], inPath[k].index, nk]);
        nullifier[k] === expectedNullifier[k];
    }
    // The two spent slots are different notes.
    component sameNullifier = IsEqual();
    sameNullifier.in[0] <== nullifier[0];
    sameNullifier.in[1] <== nullifier[1];
    sameNullifier.out === 0;

    // Value balance: a deposit is the minter's intent with no input notes; a withdrawal is the
    // minter's intent to recipient 0.
    signal noInputs <== inUnused[0].out * inUnused[1].out;
    valueIn === amount * noInputs;
    component isWithdraw = IsZero();
    isWithdraw.in <== recipient;
    valueOut === amount * isWithdraw.out;
    (valueIn + valueOut) * (sender - minter) === 0;
    inAmount[0] + inAmount[1] + valueIn === amount + change;

    // Compliance: the transferred amount is at most the public per-transfer limit.
    component withinLimit = LessEqThan(64);
    withinLimit.in[0] <== amount;
    withinLimit.in[1] <== limit;
    withinLimit.out === 1;

    // Created notes: the amount to the recipient (nothing for a withdrawal), change back to the sender.
    signal expectedCommitment[2];
    expectedCommitment[0] <== Poseidon(4)([recipient, amount - valueOut, asset, outSalt[0]]);
    expectedCommitment[1] <== Poseidon(4)([sender, change, asset, outSalt[1]]);
    commitment[0] === expectedCommitment[0];
    commitment[1] === expectedCommitment[1];

    // Append-only insertion: both commitments fill an empty two-leaf subtree of the tree at rootBefore.
    component emptyRoot = MerkleRoot(depth - 1);
    emptyRoot.leaf <== emptyPair;
    emptyRoot.pathElements <== insertPathElements;
    emptyRoot.pathIndices <== insertPathIndices;
    emptyRoot.root === rootBefore;
    component filledRoot = MerkleRoot(depth - 1);
    filledRoot.leaf <== Poseidon(2)([commitment[0], commitment[1]]);
    filledRoot.pathElements <== insertPathElements;
    filledRoot.pathIndices <== insertPathIndices;
    filledRoot.root === rootAfter;
}
