/**
 * A circom witness file (.wtns, snarkjs's format) held in memory: section 1 holds the field size, the
 * prime and the witness length; section 2 the witness, 32-byte little-endian scalars in standard form.
 */
import { SCALAR_ORDER } from '../protocol/bn254.ts';
import { leBigInt, readBinSections } from './bin-file.ts';
import { ScalarVectorError } from './errors.ts';
import { SCALAR_BYTES, type ProvingKey } from './proving-key.ts';

/** The witness of a .wtns file (a copy), checked against the proving key's field and size. */
export function readWtnsWitness(wtns: Uint8Array, pk: Pick<ProvingKey, 'nVars'>): Uint8Array {
  const s = readBinSections(wtns, 'wtns', (_p, detail) => new ScalarVectorError(`witness file: ${detail}`));
  const head = s.get(1);
  const body = s.get(2);
  if (!head || !body || head.byteLength < 4 + SCALAR_BYTES + 4) throw new ScalarVectorError('witness file: header or witness section missing');
  const v = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n8 = v.getUint32(0, true);
  if (n8 !== SCALAR_BYTES || leBigInt(head.subarray(4, 4 + n8)) !== SCALAR_ORDER) {
    throw new ScalarVectorError('witness file: its field is not the BN254 scalar field of the proving key');
  }
  const nWitness = v.getUint32(4 + n8, true);
  if (nWitness !== pk.nVars || body.byteLength !== nWitness * SCALAR_BYTES) {
    throw new ScalarVectorError(`witness file: ${nWitness} signals (${body.byteLength} bytes), the proving key has ${pk.nVars}`);
  }
  return new Uint8Array(body);
}
