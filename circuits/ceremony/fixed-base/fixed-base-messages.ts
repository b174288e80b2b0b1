/** The two source groups of BN254 whose generators the setup multiplies. */
export type Group = 'G1' | 'G2';

/** Bytes of one affine point in snarkjs's LEM layout (little-endian Montgomery x then y). */
export const AFFINE_BYTES: Record<Group, number> = { G1: 64, G2: 128 };
/** Bytes of one scalar (little-endian, standard form, below the group order). */
export const SCALAR_BYTES = 32;
/** Bits of a scalar below BN254's group order. */
export const SCALAR_BITS = 254;

/** Main thread -> fixed-base thread. */
export type ThreadRequest =
  | { type: 'table'; group: Group; window: number }
  | { type: 'multiply'; id: number; scalars: Uint8Array };

/** Fixed-base thread -> main thread. */
export type ThreadReply =
  | { type: 'ready' }
  | { type: 'table-ready'; group: Group; window: number }
  | { type: 'product'; id: number; points: Uint8Array }
  | { type: 'error'; message: string };
