import { z } from 'zod';
import { hex } from './fields.ts';

/** A worker's signed membership entry (v1), refreshed by heartbeat; stale entries are not members. */
export const memberEntryV1 = z.object({
  v: z.literal(1),
  workerId: hex(32),
  runtime: z.enum(['node', 'browser', 'tee']),
  threads: z.number().int().min(1).max(1024),
  gpu: z.boolean(),
  tee: z.boolean(),
  /** Where the worker computes MSMs: WASM on its CPU cores or WebGPU (chosen at start by measuring both). */
  msmBackend: z.enum(['wasm', 'webgpu']).optional(),
  /** Proofs per minute the worker measured on itself (0 when unknown). */
  score: z.number().nonnegative(),
  /** X25519 public key (hex) that shares and whole jobs are sealed to (HPKE). */
  sealKey: hex(32).optional(),
  /** Who runs the worker: the two halves of one proof never go to two workers of one operator. */
  operator: z.string().min(1).max(64).optional(),
  /** Epoch ms of this heartbeat. */
  ts: z.number().int().positive(),
  /** How long after `ts` the entry stays valid. */
  ttlMs: z.number().int().min(1000).max(600_000),
  signature: hex(64),
});
export type MemberEntryV1 = z.infer<typeof memberEntryV1>;
