import { z } from 'zod';

import { SCALAR_ORDER } from '../bn254.ts';

/** BN254 scalar field order. */
export const FIELD_ORDER = SCALAR_ORDER;

/** A field element as a decimal string. */
export const fieldString = z
  .string()
  .regex(/^(0|[1-9]\d{0,76})$/, 'must be a decimal integer without sign or leading zeros')
  .refine((s) => BigInt(s) < FIELD_ORDER, 'must be below the BN254 field order');

export const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes} bytes of lowercase hex`);

/** A batch id: 32 bytes of lowercase hex with 0x. */
export const batchId = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x and 64 lowercase hex digits');

/** A snarkjs Groth16 proof. */
export const groth16Proof = z.object({
  pi_a: z.array(fieldString.or(z.string().regex(/^\d{1,78}$/))).length(3),
  pi_b: z.array(z.array(z.string().regex(/^\d{1,78}$/)).length(2)).length(3),
  pi_c: z.array(z.string().regex(/^\d{1,78}$/)).length(3),
  protocol: z.literal('groth16'),
  curve: z.literal('bn128'),
});

/**
 * Fields of a message signed by its producer (the aggregator's verdicts and settlement outcomes): its
 * Ed25519 public key, and its signature over the canonical bytes of every other field.
 */
export const producerSignature = {
  signer: hex(32),
  signature: hex(64),
};

/** A message type without its producer's signature fields (what the producer builds, then signs). */
export type Unsigned<T> = T extends unknown ? Omit<T, 'signer' | 'signature'> : never;

/** A sealed box's place in the shares object store. */
export const sealedObjectRef = z.object({
  /** Object name in the shares bucket. */
  object: z.string().min(1).max(300),
  /** Size of the sealed box in bytes. */
  bytes: z.number().int().positive(),
});
export type SealedObjectRef = z.infer<typeof sealedObjectRef>;
