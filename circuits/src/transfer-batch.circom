pragma circom 2.1.0;

// drex-swarm private transfers, k per proof (Groth16 / BN254), version 2.
//
// A note is commitment = Poseidon(owner, amount, asset, salt) in an append-only Poseidon Merkle tree of
// `depth` levels; an owner is Poseidon(Ax, Ay, nk): an EdDSA-Poseidon (Baby Jubjub) key and a nullifier key.
// The owner signs an intent: Poseidon(domain, kind, sender, recipient, amount, asset, nonce, seed), where
// domain names the deployment (chain id, settlement contract, circuit version), kind is 0 transfer,
// 1 deposit, 2 withdraw, and seed fixes the salts of the two created notes (Poseidon(seed, 0), Poseidon(seed, 1)).
//
// Kinds:
//   transfer: spends the sender's notes (the first slot used), pays a note to recipient != 0, change back;
//   deposit:  the minter's intent, no spent notes, valueIn = amount, a note to recipient != 0;
//   withdraw: the minter's intent to recipient 0, spends notes, valueOut = amount (its first note holds 0).
//
// The nullifier set is an indexed Merkle tree of `nullDepth` levels (nullifier-set.circom) holding the
// keys of spent notes' nullifiers Poseidon(1, commitment, leafIndex, nk) and of used intents'
// nullifiers Poseidon(2, nk, nonce); its public state is Poseidon(setRoot, setNextIndex).
//
// Public (the chain checks each): noteRootBefore/After, noteIndex (the next free leaf before the proof:
// pairs are appended there, in order), nullRootBefore/After, transfers (slots in use), valueIn and valueOut
// (summed), limit (compliance: every amount <= limit), minter (owner id of the minting role), domain.
// A slot not in use (amount 0) changes nothing; its private inputs are zeros.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";
include "merkle.circom";
include "nullifier-set.circom";
include "signature.circom";

// One transfer applied to the state (noteRoot, pairIndex, setRoot, setNext) when active.
template TransferSlot(depth, nullDepth, emptyPair) {
    // ---- state in and out ----
    signal input noteRoot;
    signal input pairIndex;
    signal input setRoot;
    signal input setNext;
    signal output noteRootOut;
    signal output pairIndexOut;
    signal output setRootOut;
    signal output setNextOut;
    signal output valueIn;
    signal output valueOut;

    // ---- the proof's public parameters ----
    signal input limit;
    signal input minter;
    signal input domain;

    // ---- private ----
    signal input isDeposit;
    signal input isWithdraw;
    signal input Ax;
    signal input Ay;
    signal input nk;
    signal input sigS;
    signal input sigR8x;
    signal input sigR8y;
    signal input recipient;
    signal input amount;
    signal input asset;
    signal input nonce;
    signal input seed;
    signal input inAmount[2];
    signal input inSalt[2];
    signal input inPathElements[2][depth];
    signal input inPathIndices[2][depth];
    signal input insertPathElements[depth - 1];
    // Nullifier-set insertions: spent note 0, spent note 1, the intent.
    signal input lowValue[3];
    signal input lowNext[3];
    signal input lowPathElements[3][nullDepth];
    signal input lowPathIndices[3][nullDepth];
    signal input newPathElements[3][nullDepth];

    // A slot is in use exactly when it moves a nonzero amount.
    component zeroAmount = IsZeroPinned();
    zeroAmount.in <== amount;
    signal output active <== 1 - zeroAmount.out;
    isDeposit * (1 - isDeposit) === 0;
    isWithdraw * (1 - isWithdraw) === 0;
    isDeposit * isWithdraw === 0;

    // Authorization of exactly this intent, in this domain, of this kind, with these salts.
    signal sender <== Poseidon(3)([Ax, Ay, nk]);
    signal kind <== isDeposit + 2 * isWithdraw;
    signal intentHash <== Poseidon(8)([domain, kind, sender, recipient, amount, asset, nonce, seed]);
    component sig = SignatureCheck();
    sig.enabled <== active;
    sig.Ax <== Ax;
    sig.Ay <== Ay;
    sig.S <== sigS;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.M <== intentHash;

    // 64-bit amounts, at most the compliance limit.
    component amountBits = Num2Bits(64);
    amountBits.in <== amount;
    component withinLimit = LessEqThan(64);
    withinLimit.in[0] <== amount;
    withinLimit.in[1] <== limit;
    withinLimit.out === 1;

    // Spent notes (amount 0 = slot unused): the sender's, in the tree, of the intent's asset.
    component inBits[2];
    component inUnused[2];
    component inPath[2];
    signal inCommit[2];
    signal used[2];
    signal spends[2];
    signal nullifier[2];
    for (var j = 0; j < 2; j++) {
        inBits[j] = Num2Bits(64);
        inBits[j].in <== inAmount[j];
        inUnused[j] = IsZeroPinned();
        inUnused[j].in <== inAmount[j];
        used[j] <== 1 - inUnused[j].out;
        spends[j] <== active * used[j];
        inCommit[j] <== Poseidon(4)([sender, inAmount[j], asset, inSalt[j]]);
        inPath[j] = MerkleRoot(depth);
        inPath[j].leaf <== inCommit[j];
        inPath[j].pathElements <== inPathElements[j];
        inPath[j].pathIndices <== inPathIndices[j];
        (inPath[j].root - noteRoot) * spends[j] === 0;
        nullifier[j] <== Poseidon(4)([1, inCommit[j], inPath[j].index, nk]);
    }

    // Kind: a deposit spends nothing; a transfer or withdrawal spends at least its first slot; a
    // withdrawal, and only a withdrawal, pays recipient 0; only the minter deposits or withdraws.
    isDeposit * used[0] === 0;
    isDeposit * used[1] === 0;
    signal spending <== active * (1 - isDeposit);
    spending * (1 - used[0]) === 0;
    component toNobody = IsZeroPinned();
    toNobody.in <== recipient;
    (isWithdraw - toNobody.out) * active === 0;
    signal depositing <== active * isDeposit;
    signal withdrawing <== active * isWithdraw;
    (depositing + withdrawing) * (sender - minter) === 0;
    valueIn <== depositing * amount;
    valueOut <== withdrawing * amount;
    // Balance: what the spent notes and the deposit bring is the amount plus the change (64-bit, so never
    // negative).
    signal change <== inAmount[0] + inAmount[1] + valueIn - amount;
    component changeBits = Num2Bits(64);
    changeBits.in <== change;

    // Created notes: the amount to the recipient (nothing for a withdrawal), change back to the sender,
    // salted from the signed seed.
    signal outSalt0 <== Poseidon(2)([seed, 0]);
    signal outSalt1 <== Poseidon(2)([seed, 1]);
    signal commitment0 <== Poseidon(4)([recipient, amount - valueOut, asset, outSalt0]);
    signal commitment1 <== Poseidon(4)([sender, change, asset, outSalt1]);

    // Appended as a pair at the next free pair index: that pair is empty, then it holds both.
    component pairBits = Num2Bits(depth - 1);
    pairBits.in <== pairIndex;
    component emptyPairPath = MerkleRoot(depth - 1);
    emptyPairPath.leaf <== emptyPair;
    emptyPairPath.pathElements <== insertPathElements;
    emptyPairPath.pathIndices <== pairBits.out;
    (emptyPairPath.root - noteRoot) * active === 0;
    component filledPath = MerkleRoot(depth - 1);
    filledPath.leaf <== Poseidon(2)([commitment0, commitment1]);
    filledPath.pathElements <== insertPathElements;
    filledPath.pathIndices <== pairBits.out;
    noteRootOut <== noteRoot + active * (filledPath.root - noteRoot);
    pairIndexOut <== pairIndex + active;

    // Nullifiers: both spent notes' and the intent's go into the set, which refuses any key it holds.
    signal intentNullifier <== Poseidon(3)([2, nk, nonce]);
    component key[3];
    component insert[3];
    signal setRoots[4];
    signal setNexts[4];
    setRoots[0] <== setRoot;
    setNexts[0] <== setNext;
    for (var j = 0; j < 3; j++) {
        key[j] = NullifierKey();
        key[j].nullifier <== j < 2 ? nullifier[j] : intentNullifier;
        insert[j] = NullifierInsert(nullDepth);
        insert[j].enabled <== j < 2 ? spends[j] : active;
        insert[j].key <== key[j].key;
        insert[j].root <== setRoots[j];
        insert[j].next <== setNexts[j];
        insert[j].lowValue <== lowValue[j];
        insert[j].lowNext <== lowNext[j];
        insert[j].lowPathElements <== lowPathElements[j];
        insert[j].lowPathIndices <== lowPathIndices[j];
        insert[j].newPathElements <== newPathElements[j];
        setRoots[j + 1] <== insert[j].rootOut;
        setNexts[j + 1] <== insert[j].nextOut;
    }
    setRootOut <== setRoots[3];
    setNextOut <== setNexts[3];
}

// k transfers in one proof, their state chained slot to slot.
template TransferBatch(k, depth, nullDepth, emptyPair) {
    // ---- public ----
    signal input noteRootBefore;
    signal input noteRootAfter;
    signal input noteIndex;
    signal input nullRootBefore;
    signal input nullRootAfter;
    signal input transfers;
    signal input valueIn;
    signal input valueOut;
    signal input limit;
    signal input minter;
    signal input domain;

    // ---- private: the set's state before, and each slot's inputs ----
    signal input setRootBefore;
    signal input setNextBefore;
    signal input isDeposit[k];
    signal input isWithdraw[k];
    signal input Ax[k];
    signal input Ay[k];
    signal input nk[k];
    signal input sigS[k];
    signal input sigR8x[k];
    signal input sigR8y[k];
    signal input recipient[k];
    signal input amount[k];
    signal input asset[k];
    signal input nonce[k];
    signal input seed[k];
    signal input inAmount[k][2];
    signal input inSalt[k][2];
    signal input inPathElements[k][2][depth];
    signal input inPathIndices[k][2][depth];
    signal input insertPathElements[k][depth - 1];
    signal input lowValue[k][3];
    signal input lowNext[k][3];
    signal input lowPathElements[k][3][nullDepth];
    signal input lowPathIndices[k][3][nullDepth];
    signal input newPathElements[k][3][nullDepth];

    component limitBits = Num2Bits(64);
    limitBits.in <== limit;
    signal setStateBefore <== Poseidon(2)([setRootBefore, setNextBefore]);
    nullRootBefore === setStateBefore;

    component slot[k];
    signal noteRoots[k + 1];
    signal pairIndex[k + 1];
    signal setRoots[k + 1];
    signal setNexts[k + 1];
    noteRoots[0] <== noteRootBefore;
    // The first pair goes to noteIndex (even: an odd one has no pair index below 2^(depth-1)).
    pairIndex[0] <-- noteIndex \ 2;
    noteIndex === 2 * pairIndex[0];
    setRoots[0] <== setRootBefore;
    setNexts[0] <== setNextBefore;
    var activeSum = 0;
    var inSum = 0;
    var outSum = 0;
    for (var s = 0; s < k; s++) {
        slot[s] = TransferSlot(depth, nullDepth, emptyPair);
        slot[s].noteRoot <== noteRoots[s];
        slot[s].pairIndex <== pairIndex[s];
        slot[s].setRoot <== setRoots[s];
        slot[s].setNext <== setNexts[s];
        slot[s].limit <== limit;
        slot[s].minter <== minter;
        slot[s].domain <== domain;
        slot[s].isDeposit <== isDeposit[s];
        slot[s].isWithdraw <== isWithdraw[s];
        slot[s].Ax <== Ax[s];
        slot[s].Ay <== Ay[s];
        slot[s].nk <== nk[s];
        slot[s].sigS <== sigS[s];
        slot[s].sigR8x <== sigR8x[s];
        slot[s].sigR8y <== sigR8y[s];
        slot[s].recipient <== recipient[s];
        slot[s].amount <== amount[s];
        slot[s].asset <== asset[s];
        slot[s].nonce <== nonce[s];
        slot[s].seed <== seed[s];
        slot[s].inAmount <== inAmount[s];
        slot[s].inSalt <== inSalt[s];
        slot[s].inPathElements <== inPathElements[s];
        slot[s].inPathIndices <== inPathIndices[s];
        slot[s].insertPathElements <== insertPathElements[s];
        slot[s].lowValue <== lowValue[s];
        slot[s].lowNext <== lowNext[s];
        slot[s].lowPathElements <== lowPathElements[s];
        slot[s].lowPathIndices <== lowPathIndices[s];
        slot[s].newPathElements <== newPathElements[s];
        noteRoots[s + 1] <== slot[s].noteRootOut;
        pairIndex[s + 1] <== slot[s].pairIndexOut;
        setRoots[s + 1] <== slot[s].setRootOut;
        setNexts[s + 1] <== slot[s].setNextOut;
        activeSum += slot[s].active;
        inSum += slot[s].valueIn;
        outSum += slot[s].valueOut;
    }
    noteRootAfter === noteRoots[k];
    signal setStateAfter <== Poseidon(2)([setRoots[k], setNexts[k]]);
    nullRootAfter === setStateAfter;
    transfers === activeSum;
    valueIn === inSum;
    valueOut === outSum;
}
