import { BaseError, ContractFunctionRevertedError, decodeErrorResult, type Abi, type Hex } from 'viem';

/** A decoded revert: the custom error's name and arguments (or `Error` / `Panic` / `Unknown`). */
export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
  data?: Hex;
}

const REVERT_DATA = /^0x[0-9a-fA-F]{8}/;

function revertDataOf(err: unknown): Hex | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const d = (e as { data?: unknown }).data;
    if (typeof d === 'string' && REVERT_DATA.test(d)) return d as Hex;
    const inner = d && typeof d === 'object' ? (d as { data?: unknown }).data : undefined;
    if (typeof inner === 'string' && REVERT_DATA.test(inner)) return inner as Hex;
  }
  return undefined;
}

/** Decodes revert bytes with `abi` (custom errors, Error(string), Panic(uint256)). */
export function decodeRevertData(abi: Abi, data: Hex): DecodedRevert {
  try {
    const r = decodeErrorResult({ abi, data });
    return { errorName: r.errorName, args: (r.args ?? []) as readonly unknown[], data };
  } catch {
    return { errorName: 'Unknown', args: [data], data };
  }
}

/**
 * Finds the revert in an error thrown by a viem call/estimate/simulate and decodes it with `abi`.
 * Returns null when `err` is not a revert (e.g. a network error).
 */
export function decodeRevert(abi: Abi, err: unknown): DecodedRevert | null {
  if (err instanceof BaseError) {
    const rev = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (rev?.data) return { errorName: rev.data.errorName, args: (rev.data.args ?? []) as readonly unknown[], data: rev.raw };
    if (rev?.reason) return { errorName: 'Error', args: [rev.reason], data: rev.raw };
  }
  const data = revertDataOf(err);
  if (data) return decodeRevertData(abi, data);
  const msg = (err as { message?: unknown })?.message;
  if (typeof msg === 'string' && /execution reverted|reverted/i.test(msg) && !/ECONNREFUSED|fetch failed/.test(msg)) {
    return { errorName: 'Unknown', args: [] };
  }
  return null;
}
