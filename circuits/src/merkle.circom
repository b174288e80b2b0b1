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
