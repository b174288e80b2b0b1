/**
 * JSON form of a settlement package: bigints as decimal strings, hex as 0x-prefixed strings. Reading
 * validates the shape (zod), then re-derives every derived field (root chain ends, nullifiers,
 * commitments, intent nullifiers, aggregation root) from the proofs and public inputs and refuses a
 * package whose fields disagree, so a package read from disk or the wire is as trustworthy as one built.
 */
import { z } from 'zod';
import type { SolidityProof } from '../protocol/groth16-encoding.ts';
import { assembleSettlementPackage, SettlementPackageError, type SettlementPackage } from './settlement-package.ts';

const decimal = z
  .string()
  .regex(/^(0|[1-9]\d{0,77})$/, 'a decimal string without leading zeros')
  .transform((s) => BigInt(s));
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, '0x-prefixed 32-byte hex');

/** The JSON shape of a settlement package (version 1). */
export const settlementPackageJsonSchema = z.strictObject({
  version: z.literal(1),
  batchId: bytes32,
  rootBefore: decimal,
  rootAfter: decimal,
  aggregationRoot: bytes32,
  nullifiers: z.array(decimal),
  commitments: z.array(decimal),
  intentNullifiers: z.array(decimal),
  proofs: z.array(z.array(decimal).length(8)),
  publicInputs: z.array(z.array(decimal)),
});

/** The package as JSON-ready data (every bigint a decimal string). */
export type SettlementPackageJson = z.input<typeof settlementPackageJsonSchema>;

const str = (xs: readonly bigint[]) => xs.map(String);

/** The JSON-ready form of a package. */
export function settlementPackageToJson(pkg: SettlementPackage): SettlementPackageJson {
  return {
    version: pkg.version,
    batchId: pkg.batchId,
    rootBefore: String(pkg.rootBefore),
    rootAfter: String(pkg.rootAfter),
    aggregationRoot: pkg.aggregationRoot,
    nullifiers: str(pkg.nullifiers),
    commitments: str(pkg.commitments),
    intentNullifiers: str(pkg.intentNullifiers),
    proofs: pkg.proofs.map(str),
    publicInputs: pkg.publicInputs.map(str),
  };
}

/** Serializes a package to JSON text. */
export function serializeSettlementPackage(pkg: SettlementPackage): string {
  return JSON.stringify(settlementPackageToJson(pkg));
}

const sameList = (a: readonly bigint[], b: readonly bigint[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Reads a package from JSON text or parsed JSON. Throws `SettlementPackageError` with MALFORMED_PACKAGE
 * (wrong shape), INCONSISTENT_PACKAGE (a derived field disagrees), or any code the builder raises
 * (broken root chain, duplicate nullifier, ...).
 */
export function parseSettlementPackage(json: unknown): SettlementPackage {
  let raw = json;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new SettlementPackageError('MALFORMED_PACKAGE', 'settlement package is not JSON');
    }
  }
  const parsed = settlementPackageJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SettlementPackageError('MALFORMED_PACKAGE', `settlement package: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const p = parsed.data;
  const pkg = assembleSettlementPackage(p.batchId, p.proofs as unknown as SolidityProof[], p.publicInputs);
  const mismatch = (
    [
      ['rootBefore', pkg.rootBefore === p.rootBefore],
      ['rootAfter', pkg.rootAfter === p.rootAfter],
      ['aggregationRoot', pkg.aggregationRoot === p.aggregationRoot.toLowerCase()],
      ['nullifiers', sameList(pkg.nullifiers, p.nullifiers)],
      ['commitments', sameList(pkg.commitments, p.commitments)],
      ['intentNullifiers', sameList(pkg.intentNullifiers, p.intentNullifiers)],
    ] as const
  ).find(([, ok]) => !ok);
  if (mismatch) {
    throw new SettlementPackageError('INCONSISTENT_PACKAGE', `settlement package: ${mismatch[0]} does not match the proofs' public inputs`);
  }
  return pkg;
}
