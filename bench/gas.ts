import { hexToBytes, type Hex } from 'viem';

/** The intrinsic gas of every transaction (EIP-2028 era, no access list). */
export const INTRINSIC = 21_000;

/** EIP-2028 calldata gas: 16 per nonzero byte, 4 per zero byte. */
export function calldataGas(data: Hex): number {
  let g = 0;
  for (const b of hexToBytes(data)) g += b === 0 ? 4 : 16;
  return g;
}
