import { readFileSync } from 'node:fs';
import { bn254 } from '@noble/curves/bn254.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureArtifacts } from '../circuits/ceremony/setup.ts';
import { FIELD_PRIME } from './bn254-engine.ts';
import { prepareVerificationKey, VerificationKeyError } from './verification-key.ts';

let vkeyJson: Record<string, unknown>;

beforeAll(async () => {
  vkeyJson = JSON.parse(readFileSync((await ensureArtifacts()).vkey, 'utf8')) as Record<string, unknown>;
});

async function refusal(edit: (vk: Record<string, unknown>) => void): Promise<string> {
  const copy = structuredClone(vkeyJson);
  edit(copy);
  const err = await prepareVerificationKey(copy).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(VerificationKeyError);
  expect((err as VerificationKeyError).code).toBe('VKEY_INVALID');
  return (err as Error).message;
}

describe('prepareVerificationKey', () => {
  it('prepares the transfer circuit key (11 public signals), from the object or its JSON text', async () => {
    expect((await prepareVerificationKey(vkeyJson)).nPublic).toBe(11);
    expect((await prepareVerificationKey(JSON.stringify(vkeyJson))).ic).toHaveLength(12);
  });

  it('refuses a key with a G2 point outside the prime-order subgroup', async () => {
    // Find a twist point of small-cofactor order by rejection sampling with noble.
    const Fp2 = bn254.fields.Fp2;
    let point: string[][] | undefined;
    for (let x0 = 1n; !point; x0++) {
      const x = Fp2.fromBigTuple([x0, 1n]);
      try {
        const y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), bn254.G2.Point.CURVE().b));
        if (!bn254.G2.Point.fromAffine({ x, y }).isTorsionFree()) point = [[String(x.c0), String(x.c1)], [String(y.c0), String(y.c1)], ['1', '0']];
      } catch {
        // not a square
      }
    }
    expect(await refusal((vk) => (vk.vk_gamma_2 = point))).toMatch(/vk_gamma_2 .*subgroup/);
  });

  it('refuses a wrong IC count, an off-curve or out-of-range point, the wrong protocol', async () => {
    expect(await refusal((vk) => (vk.IC as unknown[]).pop())).toMatch(/IC has 11 points/);
    expect(await refusal((vk) => ((vk.vk_alpha_1 as string[])[1] = '5'))).toMatch(/vk_alpha_1 is not on/);
    expect(await refusal((vk) => ((vk.vk_alpha_1 as string[])[0] = String(FIELD_PRIME)))).toMatch(/vk_alpha_1.x/);
    expect(await refusal((vk) => (vk.protocol = 'plonk'))).toMatch(/protocol/);
    expect(await refusal((vk) => (vk.vk_delta_2 = [['0', '0'], ['0', '0'], ['1', '0']]))).toMatch(/infinity/);
  });
});
