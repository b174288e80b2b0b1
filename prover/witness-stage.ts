/**
 * The trusted first stage of a staged prove: the witness (circom's WASM calculator, in memory) and the
 * quotient polynomial's values, both as the scalar vectors that the MSM stage multiplies the key's
 * queries with, plus the public signals.
 */
import * as snarkjs from 'snarkjs';
import { threadedCurve } from './curve.ts';
import { WitnessError } from './errors.ts';
import { SCALAR_BYTES, type ProvingKey } from './proving-key.ts';
import { computeQuotient } from './quotient.ts';
import { leBigInt } from './bin-file.ts';
import { readWtnsWitness } from './wtns-file.ts';

/** The scalars of one prove: 32-byte little-endian, standard (not Montgomery) form, each < r. */
export interface MsmScalars {
  /** nVars scalars: the witness, starting with the constant 1 and the public signals. */
  witness: Uint8Array;
  /** domainSize scalars: the quotient polynomial's values on the odd coset. */
  quotient: Uint8Array;
}

/** The scalars with the public signals they prove (decimal strings, snarkjs's publicSignals). */
export interface WitnessScalars extends MsmScalars {
  publicSignals: string[];
}

/** What the witness stage hands on: the scalars, the public signals and the stage's times. */
export interface WitnessStageResult extends WitnessScalars {
  timings: { witnessMs: number; quotientMs: number };
}

/** Witness calculations in flight in this thread (while any is, the runtime's own error print is dropped). */
let calculating = 0;
let consoleError: typeof console.error | undefined;

/**
 * circom's runtime prints `console.error("ERROR: ", code, messages)` before it throws an Error carrying
 * the same messages; the WitnessError below keeps them, so that print only litters a terminal or a test
 * report. Drops exactly that call, and only while a witness is being calculated.
 */
function muteRuntimeErrorPrint(): () => void {
  if (calculating++ === 0) {
    const original = console.error;
    consoleError = original;
    console.error = (...args: unknown[]) => {
      if (args[0] === 'ERROR: ' && typeof args[1] === 'number') return;
      original(...args);
    };
  }
  return () => {
    if (--calculating === 0 && consoleError) {
      console.error = consoleError;
      consoleError = undefined;
    }
  };
}

/** Runs circom's witness calculator over `input` into memory: the .wtns file's bytes. */
export async function calculateWtns(wasm: Uint8Array, input: Record<string, unknown>): Promise<Uint8Array> {
  const wtns: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
  const unmute = muteRuntimeErrorPrint();
  try {
    await snarkjs.wtns.calculate(input, wasm, wtns);
  } catch (err) {
    throw new WitnessError(`the circuit refuses these inputs: ${(err as Error).message.replace(/\s*\n\s*/g, ' | ')}`, { cause: err });
  } finally {
    unmute();
  }
  return wtns.data!;
}

/** The public signals, witness[1..nPublic], as decimal strings (snarkjs's publicSignals). */
export function publicSignalsOf(pk: Pick<ProvingKey, 'nPublic'>, witness: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 1; i <= pk.nPublic; i++) out.push(leBigInt(witness.subarray(i * SCALAR_BYTES, (i + 1) * SCALAR_BYTES)).toString());
  return out;
}

/** The scalars of a .wtns already computed: checks it against the key, then computes the quotient. */
export async function scalarsFromWtns(pk: ProvingKey, wtns: Uint8Array): Promise<WitnessScalars> {
  const witness = readWtnsWitness(wtns, pk);
  const quotient = await computeQuotient(await threadedCurve(), pk, witness);
  return { witness, quotient, publicSignals: publicSignalsOf(pk, witness) };
}

/** Witness of `input` by the circuit's WASM calculator, then the quotient's values, both timed. */
export async function witnessStage(pk: ProvingKey, wasm: Uint8Array, input: Record<string, unknown>): Promise<WitnessStageResult> {
  const t0 = performance.now();
  const wtns = await calculateWtns(wasm, input);
  const t1 = performance.now();
  const scalars = await scalarsFromWtns(pk, wtns);
  return { ...scalars, timings: { witnessMs: t1 - t0, quotientMs: performance.now() - t1 } };
}
