import { createHash } from 'node:crypto';
import { buildBn128, ChaCha } from 'ffjavascript';
import { concatBytes, u32 } from './bin-file.ts';
import { randomNonZero } from './scalar-field.ts';

/** The points snarkjs's circuit hash covers, as they are in a key with delta = 1 (affine LEM bytes). */
export interface InitialKeyPoints {
  alpha1: Uint8Array;
  beta1: Uint8Array;
  beta2: Uint8Array;
  ic: Uint8Array;
  /** (tau^(n+i) - tau^i) * G1 for i = 0..n-2: the tau powers snarkjs hashes for the H query. */
  hPowers: Uint8Array;
  /**
   * Set when the domain is 2^15 or larger: the 64 bytes that follow section 2 (tau powers in G1) in the
   * powers-of-tau file, and tau^(n-1) * G1. snarkjs's `zkey new` hashes the H powers in chunks of 2^14
   * whose length it takes as min(n - 1, 2^14) for every chunk, so from 2^15 up it hashes one more
   * "point", the difference of those two (the first read past the end of section 2). The circuit hash
   * is what snarkjs computes, so we compute the same.
   */
  hOverrun?: { after: Uint8Array; tauPowerNMinus1: Uint8Array };
  /** The private signals' C query before division by delta. */
  c: Uint8Array;
  a: Uint8Array;
  b1: Uint8Array;
  b2: Uint8Array;
}

/**
 * Section 10 of a zkey whose setup also wrote its powers of tau: snarkjs's circuit hash (BLAKE2b-512 over
 * the initial key, as `zkey new` computes it) and one contribution record that takes delta from 1 to
 * `delta`, with its proof of knowledge, so that `snarkjs zkey verify` can check the key against the
 * circuit and the powers of tau.
 */
export async function mpcSection(p: InitialKeyPoints, delta: bigint, name: string): Promise<Uint8Array> {
  const curve = await buildBn128(true);
  try {
    const { G1, G2, Fr } = curve;
    const toU1 = async (b: Uint8Array) => (b.length ? ((await G1.batchLEMtoU(b)) as Uint8Array) : b);
    const toU2 = async (b: Uint8Array) => (b.length ? ((await G2.batchLEMtoU(b)) as Uint8Array) : b);
    const be32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v);
      return b;
    };
    const one1 = affineLem(G1, G1.g);
    const one2 = affineLem(G2, G2.g);
    const cs = createHash('blake2b512');
    cs.update(await toU1(p.alpha1));
    cs.update(await toU1(p.beta1));
    cs.update(await toU2(p.beta2));
    cs.update(await toU2(one2)); // gamma2
    cs.update(await toU1(one1)); // delta1 before any contribution
    cs.update(await toU2(one2)); // delta2
    const list = async (points: Uint8Array, size: number, toU: (b: Uint8Array) => Promise<Uint8Array>) => {
      cs.update(be32(points.length / size));
      cs.update(await toU(points));
    };
    await list(p.ic, 64, toU1);
    cs.update(be32(p.hPowers.length / 64));
    cs.update(await toU1(p.hPowers));
    if (p.hOverrun) cs.update(await toU1(subtractAffine(curve, p.hOverrun.after, p.hOverrun.tauPowerNMinus1)));
    await list(p.c, 64, toU1);
    await list(p.a, 64, toU1);
    await list(p.b1, 64, toU1);
    await list(p.b2, 128, toU2);
    const csHash = cs.digest();

    // The contribution: delta with a proof of knowledge (snarkjs's `zkey contribute` record).
    const d = Fr.e(delta);
    const g1s = G1.toAffine(G1.timesFr(G1.g, Fr.e(randomNonZero())));
    const g1sx = G1.toAffine(G1.timesFr(g1s, d));
    const uncompressed1 = (pt: unknown) => {
      const b = new Uint8Array(64);
      G1.toRprUncompressed(b, 0, pt);
      return b;
    };
    const transcript = createHash('blake2b512').update(csHash).update(uncompressed1(g1s)).update(uncompressed1(g1sx)).digest();
    const seed = Array.from({ length: 8 }, (_, i) => transcript.readUInt32BE(4 * i));
    const g2sp = G2.fromRng(new ChaCha(seed));
    const g2spx = G2.toAffine(G2.timesFr(g2sp, d));
    const deltaAfter = G1.toAffine(G1.timesFr(G1.g, d));
    const label = Buffer.from(name.slice(0, 64), 'utf8');
    const params = Buffer.concat([Buffer.from([1, label.length]), label]);
    return concatBytes([
      csHash,
      u32(1),
      affineLem(G1, deltaAfter),
      affineLem(G1, g1s),
      affineLem(G1, g1sx),
      affineLem(G2, g2spx),
      transcript,
      u32(0), // type: contribution (not a beacon)
      u32(params.length),
      params,
    ]);
  } finally {
    await curve.terminate();
  }
}

/** a - b for two affine LEM byte strings, with the curve's own WASM routines (as snarkjs computes it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function subtractAffine(curve: any, a: Uint8Array, b: Uint8Array): Uint8Array {
  const tm = curve.tm as { alloc(n: number): number; u8: Uint8Array; instance: WebAssembly.Instance };
  const fn = tm.instance.exports as Record<string, (...args: number[]) => void>;
  const pa = tm.alloc(64);
  const pb = tm.alloc(64);
  const pr = tm.alloc(96);
  tm.u8.set(a, pa);
  tm.u8.set(b, pb);
  fn.g1m_subAffine!(pa, pb, pr);
  fn.g1m_batchToAffine!(pr, 1, pr);
  return tm.u8.slice(pr, pr + 64);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function affineLem(G: any, point: unknown): Uint8Array {
  const b = new Uint8Array(G.F.n8 * 2);
  G.toRprLEM(b, 0, G.toAffine(point));
  return b;
}
