pragma circom 2.1.0;

// The nullifier set: an indexed Merkle tree of keys. Leaf i is Poseidon(value, nextValue): the leaves form
// a linked list sorted by value, starting at the sentinel leaf 0 = Poseidon(0, 0); nextValue = 0 ends the
// list. An empty leaf is 0. Inserting key x (0 < x < 2^252) proves x is absent (a "low" leaf with
// value < x < nextValue, or value < x and nextValue = 0), points the low leaf at x and appends
// Poseidon(x, nextValue) at the next free index.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";
include "merkle.circom";

// The set key of a nullifier: its low 252 bits, read from its unique (strict) bit decomposition, so that
// one nullifier always gives one key.
template NullifierKey() {
    signal input nullifier;
    signal output key;
    component bits = Num2Bits_strict();
    bits.in <== nullifier;
    var acc = 0;
    for (var i = 0; i < 252; i++) acc += bits.out[i] * (1 << i);
    key <== acc;
}

// Inserts `key` into the set at (root, next) when enabled; when not, the set is unchanged.
template NullifierInsert(depth) {
    signal input enabled;
    signal input key;
    signal input root;
    signal input next;
    signal input lowValue;
    signal input lowNext;
    signal input lowPathElements[depth];
    signal input lowPathIndices[depth];
    signal input newPathElements[depth];
    signal output rootOut;
    signal output nextOut;

    // The low leaf is in the set.
    component lowOld = MerkleRoot(depth);
    lowOld.leaf <== Poseidon(2)([lowValue, lowNext]);
    lowOld.pathElements <== lowPathElements;
    lowOld.pathIndices <== lowPathIndices;
    (lowOld.root - root) * enabled === 0;

    // lowValue < key, and key < lowNext unless lowNext ends the list: key is not in the set.
    component above = LessThan(252);
    above.in[0] <== lowValue;
    above.in[1] <== key;
    (1 - above.out) * enabled === 0;
    component below = LessThan(252);
    below.in[0] <== key;
    below.in[1] <== lowNext;
    component lastLeaf = IsZeroPinned();
    lastLeaf.in <== lowNext;
    signal outOfRange <== (1 - below.out) * (1 - lastLeaf.out);
    outOfRange * enabled === 0;

    // The low leaf now points at key.
    component lowNew = MerkleRoot(depth);
    lowNew.leaf <== Poseidon(2)([lowValue, key]);
    lowNew.pathElements <== lowPathElements;
    lowNew.pathIndices <== lowPathIndices;

    // The new leaf goes to the next free index, which is empty in the updated set.
    component nextBits = Num2Bits(depth);
    nextBits.in <== next;
    component slot = MerkleRoot(depth);
    slot.leaf <== 0;
    slot.pathElements <== newPathElements;
    slot.pathIndices <== nextBits.out;
    (slot.root - lowNew.root) * enabled === 0;
    component appended = MerkleRoot(depth);
    appended.leaf <== Poseidon(2)([key, lowNext]);
    appended.pathElements <== newPathElements;
    appended.pathIndices <== nextBits.out;

    rootOut <== root + enabled * (appended.root - root);
    nextOut <== next + enabled;
}
