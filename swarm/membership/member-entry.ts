import { z } from 'zod';
import { canonicalBytes } from '../../protocol/canonical.ts';
import { hex } from '../../protocol/messages/fields.ts';
import type { Identity } from '../identity/ed25519.ts';
import { compareHlc, hlcTime, type Hlc } from './hlc.ts';

/** The most bytes (UTF-8 JSON) a received entry may take; a full entry takes about 600. */
export const MAX_ENTRY_BYTES = 2048;

/** The shortest and longest life an entry may sign for itself (expiresAtMs - hlc.wallMs). */
export const MIN_TTL_MS = 1_000;
export const MAX_TTL_MS = 600_000;

/** What a worker declares it can do. */
export const capabilitiesV2 = z
  .object({
    runtime: z.enum(['node', 'browser', 'tee']),
    threads: z.number().int().min(1).max(1024),
    /** Where the worker computes MSMs: WASM on its CPU cores or WebGPU. */
    msmBackend: z.enum(['wasm', 'webgpu']),
    gpu: z.boolean(),
    /** True when the worker runs in an enclave. */
    tee: z.boolean(),
    /** Where the enclave's attestation evidence can be fetched (an object name or URL); only with tee. */
    attestationRef: z.string().min(1).max(256).optional(),
    /** X25519 public key (hex) that shares and whole jobs are sealed to (HPKE). */
    sealKey: hex(32).optional(),
  })
  .strict()
  .refine((c) => c.tee || c.attestationRef === undefined, { message: 'attestationRef is for TEE workers only', path: ['attestationRef'] });
export type CapabilitiesV2 = z.infer<typeof capabilitiesV2>;

/**
 * A worker's signed membership entry (v2). `hlc` is the worker's own hybrid logical clock when it
 * signed (its node id is `workerId`, so it is not repeated); `signature` is the worker's Ed25519
 * signature over the canonical bytes of every other field. Unknown fields are refused (strict), so an
 * entry relayed by any replica still verifies byte for byte.
 */
export const memberEntryV2 = z
  .object({
    v: z.literal(2),
    /** The worker's Ed25519 public key (hex): its id and the key its entries are signed with. */
    workerId: hex(32),
    /** Who runs the worker: the two halves of one proof never go to two workers of one operator. */
    operator: z.string().min(1).max(64),
    capabilities: capabilitiesV2,
    /** Proofs per minute the worker measured on itself (0 when unknown). */
    score: z.number().nonnegative().max(1e9),
    /** The worker's software version. */
    version: z.string().regex(/^[0-9A-Za-z.+-]{1,32}$/, 'must be 1 to 32 characters of [0-9A-Za-z.+-]'),
    hlc: z.object(hlcTime).strict(),
    /** Epoch ms after which the entry is no longer a member. */
    expiresAtMs: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    signature: hex(64),
  })
  .strict()
  .refine((e) => e.expiresAtMs - e.hlc.wallMs >= MIN_TTL_MS && e.expiresAtMs - e.hlc.wallMs <= MAX_TTL_MS, {
    message: `expiresAtMs must be ${MIN_TTL_MS} to ${MAX_TTL_MS} ms after hlc.wallMs`,
    path: ['expiresAtMs'],
  });
export type MemberEntry = z.infer<typeof memberEntryV2>;
export type UnsignedMemberEntry = Omit<MemberEntry, 'signature'>;

/** The entry's full hybrid logical clock (its node is the worker). */
export function entryHlc(entry: Pick<MemberEntry, 'workerId' | 'hlc'>): Hlc {
  return { wallMs: entry.hlc.wallMs, counter: entry.hlc.counter, node: entry.workerId };
}

/** What orders two entries of one worker: the HLC, then (two entries signed at one HLC) the signature. */
export interface EntryVersion {
  hlc: Hlc;
  signature: string;
}

export function entryVersion(entry: MemberEntry): EntryVersion {
  return { hlc: entryHlc(entry), signature: entry.signature };
}

/** Negative when `a` is older than `b`, 0 for the same entry (same HLC and signature). */
export function compareVersions(a: EntryVersion, b: EntryVersion): number {
  return compareHlc(a.hlc, b.hlc) || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0);
}

/** The canonical bytes an entry is signed over (every field but the signature). */
export function entrySigningBytes(unsigned: UnsignedMemberEntry): Buffer {
  return canonicalBytes(unsigned);
}

/**
 * `identity`'s signed entry: the worker id is the identity's id; the schema checks the rest (throws a
 * ZodError on a field out of bounds, which is a bug of the caller).
 */
export function signMemberEntry(identity: Identity, fields: Omit<UnsignedMemberEntry, 'v' | 'workerId'>): MemberEntry {
  const unsigned: UnsignedMemberEntry = { v: 2, workerId: identity.id, ...fields };
  return memberEntryV2.parse({ ...unsigned, signature: identity.sign(entrySigningBytes(unsigned)) });
}
