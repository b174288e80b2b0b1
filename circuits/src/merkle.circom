pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Root of a Merkle path; pathIndices[i] = 1 when the running node is the right child at level i.
template MerkleRoot(depth) {
    signal input leaf;
    signal input pathElements[depth];
    signal input pathIndices[depth];
    signal output root;
    signal output index;

    signal cur[depth + 1];
    signal left[depth];
    signal right[depth];
    component hash[depth];
    var acc = 0;
    cur[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        pathIndices[i] * (1 - pathIndices[i]) === 0;
        left[i] <== cur[i] + pathIndices[i] * (pathElements[i] - cur[i]);
        right[i] <== pathElements[i] + cur[i] - left[i];
        hash[i] = Poseidon(2);
        hash[i].inputs[0] <== left[i];
        hash[i].inputs[1] <== right[i];
        cur[i + 1] <== hash[i].out;
        acc += pathIndices[i] * (1 << i);
    }
    root <== cur[depth];
    index <== acc;
}

// out = 1 when in = 0, else 0. Unlike circomlib's IsZero, the inverse is pinned too (0 when in = 0), so
// that no witness value is free.
template IsZeroPinned() {
    signal input in;
    signal output out;
    signal inv <-- in != 0 ? 1 / in : 0;
    out <== 1 - in * inv;
    in * out === 0;
    inv * out === 0;
}

