/** BN254 (alt_bn128), the curve of Ethereum's and Besu's pairing precompiles. */

/** The scalar field order r: circuit signals, public inputs and the order of G1 and G2. */
export const SCALAR_ORDER = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** The base field prime q: point coordinates are below it. */
export const BASE_FIELD_PRIME = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
