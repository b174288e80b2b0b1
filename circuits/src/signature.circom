pragma circom 2.1.0;

// EdDSA-Poseidon signature check over Baby Jubjub, as circomlib's EdDSAPoseidonVerifier computes it
// (S < subgroup order, h = Poseidon(R8, A, M), S*B8 == R8 + 8*h*A, A not of small order), with every
// check written so that no witness value is left free: equalities as (left - right) * enabled === 0
// and the zero test with a pinned inverse.

include "circomlib/circuits/compconstant.circom";
include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "merkle.circom";

template SignatureCheck() {
    signal input enabled;
    signal input Ax;
    signal input Ay;
    signal input S;
    signal input R8x;
    signal input R8y;
    signal input M;

    // S below the subgroup order.
    component sBits = Num2Bits(253);
    sBits.in <== S;
    component sInRange = CompConstant(2736030358979909402780800718157159386076813972158567259200215660948447373040);
    for (var i = 0; i < 253; i++) sInRange.in[i] <== sBits.out[i];
    sInRange.in[253] <== 0;
    sInRange.out * enabled === 0;

    // h = Poseidon(R8, A, M), and 8*A (which must not be the identity's x = 0).
    component hBits = Num2Bits_strict();
    hBits.in <== Poseidon(5)([R8x, R8y, Ax, Ay, M]);
    component dbl1 = BabyDbl();
    dbl1.x <== Ax;
    dbl1.y <== Ay;
    component dbl2 = BabyDbl();
    dbl2.x <== dbl1.xout;
    dbl2.y <== dbl1.yout;
    component dbl3 = BabyDbl();
    dbl3.x <== dbl2.xout;
    dbl3.y <== dbl2.yout;
    component smallOrder = IsZeroPinned();
    smallOrder.in <== dbl3.xout;
    smallOrder.out * enabled === 0;

    // Right: R8 + h*(8A). Left: S*B8.
    component hA = EscalarMulAny(254);
    for (var i = 0; i < 254; i++) hA.e[i] <== hBits.out[i];
    hA.p[0] <== dbl3.xout;
    hA.p[1] <== dbl3.yout;
    component right = BabyAdd();
    right.x1 <== R8x;
    right.y1 <== R8y;
    right.x2 <== hA.out[0];
    right.y2 <== hA.out[1];
    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    component left = EscalarMulFix(253, BASE8);
    for (var i = 0; i < 253; i++) left.e[i] <== sBits.out[i];

    (left.out[0] - right.xout) * enabled === 0;
    (left.out[1] - right.yout) * enabled === 0;
}
