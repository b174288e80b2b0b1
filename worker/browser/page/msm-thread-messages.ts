import type { BackendChoice } from '../../../prover/gpu/backend-choice.ts';
import type { HalfMsmResult } from '../../runtime/signed-half-result.ts';

/** The id a failed `choose` is answered with. */
export const CHOOSE_ID = -1;

/** What the page sends an MSM thread (a Web Worker). */
export type ToMsmThread =
  /** Measure WASM against WebGPU and keep the faster (or the forced one). */
  | { type: 'choose'; force?: 'wasm' | 'webgpu'; points?: number }
  /** The five MSMs of a half; `zkey` comes with the first job of an artifact set on this thread. */
  | { type: 'msm'; id: number; artifactHash: string; zkey?: Uint8Array; witness: Uint8Array; quotient: Uint8Array };

/** What an MSM thread answers. */
export type FromMsmThread =
  | { type: 'ready' }
  | { type: 'chosen'; choice: BackendChoice; adapter?: string }
  | { type: 'done'; id: number; result: HalfMsmResult }
  | { type: 'failed'; id: number; error: { name: string; message: string; code?: string } };
