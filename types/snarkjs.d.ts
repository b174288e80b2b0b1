declare module 'snarkjs' {
  export type FileRef = string | { type: 'mem'; data?: Uint8Array };
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export type PublicSignals = string[];
  export interface Logger {
    info(msg: string): void;
    debug(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }
  export const groth16: {
    fullProve(input: Record<string, unknown>, wasm: FileRef | Uint8Array, zkey: FileRef | Uint8Array, logger?: Logger): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    prove(zkey: FileRef | Uint8Array, witness: FileRef | Uint8Array, logger?: Logger): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    verify(vkey: unknown, publicSignals: PublicSignals, proof: Groth16Proof, logger?: Logger): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, pub: PublicSignals): Promise<string>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: FileRef, logger?: Logger): Promise<unknown>;
    contribute(oldZkey: string, newZkey: string, name: string, entropy: string, logger?: Logger): Promise<unknown>;
    exportVerificationKey(zkey: FileRef | Uint8Array, logger?: Logger): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: FileRef, templates: Record<string, string>, logger?: Logger): Promise<string>;
  };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: FileRef | Uint8Array, wtns: FileRef, logger?: Logger): Promise<void>;
    check(r1cs: string, wtns: string, logger?: Logger): Promise<boolean>;
  };
  export const r1cs: {
    info(r1cs: string, logger?: Logger): Promise<{ nConstraints: number; nPubInputs: number; nPrvInputs: number; nOutputs: number; nVars: number }>;
  };
}
