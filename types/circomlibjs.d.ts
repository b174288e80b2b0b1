declare module 'circomlibjs' {
  export interface Field {
    toObject(a: Uint8Array): bigint;
    e(a: bigint | number | string): Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    p: bigint;
  }
  export interface Poseidon {
    (inputs: (bigint | Uint8Array)[]): Uint8Array;
    F: Field;
  }
  export interface BabyJub {
    F: Field;
    subOrder: bigint;
    inSubgroup(p: [Uint8Array, Uint8Array]): boolean;
    inCurve(p: [Uint8Array, Uint8Array]): boolean;
  }
  export interface EddsaSignature {
    R8: [Uint8Array, Uint8Array];
    S: bigint;
  }
  export interface Eddsa {
    F: Field;
    babyJub: BabyJub;
    prv2pub(prv: Uint8Array): [Uint8Array, Uint8Array];
    signPoseidon(prv: Uint8Array, msg: Uint8Array): EddsaSignature;
    verifyPoseidon(msg: Uint8Array, sig: EddsaSignature, A: [Uint8Array, Uint8Array]): boolean;
  }
  export function buildPoseidon(): Promise<Poseidon>;
  /** EVM bytecode and ABI of a Poseidon hash of nInputs (1..8) field elements (`poseidon(uint256[n])`). */
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): import('viem').Abi;
  };
  export function buildEddsa(): Promise<Eddsa>;
  export function buildBabyjub(): Promise<BabyJub>;
}
