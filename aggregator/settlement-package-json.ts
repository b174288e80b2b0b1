/**
 * JSON form of a settlement package (what regulators read): field elements as decimal strings, note
 * indices and transfer counts as numbers, hex as 0x-prefixed strings. Reading validates the shape (zod),
 * then re-derives every derived field (the points the batch starts from and ends at, its transfers, its
 * domain, the aggregation root) from the proofs and public inputs and refuses a package whose fields
 * disagree, so a package read from disk or the wire is as trustworthy as one built.
 */
import { z } from 'zod';
import type { SolidityProof } from '../protocol/groth16-encoding.ts';
import { samePoint, wireOfPoint, type ChainPoint } from '../protocol/ledger-point.ts';
import { assembleSettlementPackage, SettlementPackageError, type SettlementPackage } from './settlement-package.ts';

const decimal = z
  .string()
  .regex(/^(0|[1-9]\d{0,77})$/, 'a decimal string without leading zeros')
  .transform((s) => BigInt(s));
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, '0x-prefixed 32-byte hex');
const point = z.strictObject({ noteRoot: decimal, noteIndex: z.number().int().min(0), nullRoot: decimal });

/** The JSON shape of a settlement package (version 2). */
export const settlementPackageJsonSchema = z.strictObject({
  version: z.literal(2),
  batchId: bytes32,
  before: point,
  after: point,
  transfers: z.number().int().min(1),
  domain: decimal,
  aggregationRoot: bytes32,
  proofs: z.array(z.array(decimal).length(8)),
  publicInputs: z.array(z.array(decimal)),
});

/** The package as JSON-ready data (every field element a decimal string). */
export type SettlementPackageJson = z.input<typeof settlementPackageJsonSchema>;

const str = (xs: readonly bigint[]) => xs.map(String);

/** The JSON-ready form of a package. */
export function settlementPackageToJson(pkg: SettlementPackage): SettlementPackageJson {
  return {
    version: pkg.version,
    batchId: pkg.batchId,
    before: wireOfPoint(pkg.before),
    after: wireOfPoint(pkg.after),
    transfers: pkg.transfers,
    domain: String(pkg.domain),
    aggregationRoot: pkg.aggregationRoot,
    proofs: pkg.proofs.map(str),
    publicInputs: pkg.publicInputs.map(str),
  };
}

/** Serializes a package to JSON text. */
export function serializeSettlementPackage(pkg: SettlementPackage): string {
  return JSON.stringify(settlementPackageToJson(pkg));
}

const pointOf = (p: z.output<typeof point>): ChainPoint => ({ noteRoot: p.noteRoot, noteIndex: BigInt(p.noteIndex), nullRoot: p.nullRoot });

/**
 * Reads a package from JSON text or parsed JSON. Throws `SettlementPackageError` with MALFORMED_PACKAGE
 * (wrong shape), INCONSISTENT_PACKAGE (a derived field disagrees), or any code the builder raises
 * (broken chain of points, mixed domains, ...).
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
      ['before', samePoint(pkg.before, pointOf(p.before))],
      ['after', samePoint(pkg.after, pointOf(p.after))],
      ['transfers', pkg.transfers === p.transfers],
      ['domain', pkg.domain === p.domain],
      ['aggregationRoot', pkg.aggregationRoot === p.aggregationRoot.toLowerCase()],
    ] as const
  ).find(([, ok]) => !ok);
  if (mismatch) {
    throw new SettlementPackageError('INCONSISTENT_PACKAGE', `settlement package: ${mismatch[0]} does not match the proofs' public inputs`);
  }
  return pkg;
}
