import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as snarkjs from 'snarkjs';
import { devSetup, domainPower } from './dev-setup.ts';
import { readSectionTable, readSpan } from './bin-file.ts';
import { writeSyntheticR1cs } from './synthetic-r1cs.ts';
import { R1csFormatError } from './r1cs-file.ts';
import { releaseSnarkjs } from '../snarkjs-runtime.ts';

const run = promisify(execFile);
const snarkjsCli = join(dirname(createRequire(import.meta.url).resolve('snarkjs')), 'cli.cjs');

/** `snarkjs zkey verify`; resolves with whether it accepted the key and what it printed. */
async function zkeyVerify(r1cs: string, ptau: string, zkey: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [snarkjsCli, 'zkey', 'verify', r1cs, ptau, zkey], { maxBuffer: 16 << 20 });
    return { ok: true, out: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The sections of a zkey file by id. */
function sections(path: string): Map<number, Buffer> {
  const table = readSectionTable(path, 'zkey', (p) => new Error(p));
  return new Map([...table].map(([id, span]) => [id, readSpan(path, span)]));
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dev-setup-'));
  writeSyntheticR1cs(join(dir, 'c.r1cs'), { constraints: 1000, publicInputs: 3 });
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await releaseSnarkjs();
});

describe('devSetup', () => {
  it('writes a zkey snarkjs reads, with the circuit\'s sizes', async () => {
    const res = await devSetup({ r1cs: join(dir, 'c.r1cs'), zkey: join(dir, 'a.zkey'), threads: 2 });
    expect(res).toEqual({ power: 10, constraints: 1000, nVars: 1004, nPublic: 3 });
    const vk = (await snarkjs.zKey.exportVerificationKey(join(dir, 'a.zkey'))) as { nPublic: number; IC: unknown[]; protocol: string };
    expect(vk.protocol).toBe('groth16');
    expect(vk.nPublic).toBe(3);
    expect(vk.IC).toHaveLength(4);
    const s = sections(join(dir, 'a.zkey'));
    expect(s.get(5)!.length).toBe(1004 * 64);
    expect(s.get(7)!.length).toBe(1004 * 128);
    expect(s.get(8)!.length).toBe((1004 - 4) * 64);
    expect(s.get(9)!.length).toBe(1024 * 64);
    // 2 A terms and 2 B terms per constraint, plus one A term per public signal and the constant
    expect(s.get(4)!.readUInt32LE(0)).toBe(4 * 1000 + 4);
  });

  it('draws new secrets every time: two setups of one circuit share no key material', async () => {
    await devSetup({ r1cs: join(dir, 'c.r1cs'), zkey: join(dir, 'b.zkey'), threads: 2 });
    const a = sections(join(dir, 'a.zkey'));
    const b = sections(join(dir, 'b.zkey'));
    // The same circuit: same coefficients.
    expect(a.get(4)!.equals(b.get(4)!)).toBe(true);
    // Different alpha, beta, delta (header), and different queries.
    const header = (s: Map<number, Buffer>) => s.get(2)!.subarray(84);
    expect(header(a).equals(header(b))).toBe(false);
    for (const id of [3, 5, 6, 7, 8, 9]) expect(a.get(id)!.equals(b.get(id)!), `section ${id}`).toBe(false);
    // gamma is the G2 generator in both, as in every snarkjs key
    const gamma = (s: Map<number, Buffer>) => s.get(2)!.subarray(84 + 64 + 64 + 128, 84 + 64 + 64 + 128 + 128);
    expect(gamma(a).equals(gamma(b))).toBe(true);
  });

  it('with its powers of tau, passes snarkjs zkey verify; a key from other secrets does not', async () => {
    const r1cs = join(dir, 'c.r1cs');
    await devSetup({ r1cs, zkey: join(dir, 'p.zkey'), ptau: join(dir, 'p.ptau'), threads: 2 });
    const good = await zkeyVerify(r1cs, join(dir, 'p.ptau'), join(dir, 'p.zkey'));
    expect(good.ok, good.out).toBe(true);
    expect(good.out).toMatch(/ZKey Ok!/);
    expect(good.out).toMatch(/contribution #1 drex-swarm dev setup/);
    // a.zkey came from other secrets (and has no circuit hash): refused against this powers of tau
    const other = await zkeyVerify(r1cs, join(dir, 'p.ptau'), join(dir, 'a.zkey'));
    expect(other.ok).toBe(false);
    expect(other.out).not.toMatch(/ZKey Ok!/);
  });

  it('sizes the domain as snarkjs does', () => {
    expect(domainPower(1000, 3)).toBe(10);
    expect(domainPower(1020, 3)).toBe(10);
    expect(domainPower(1021, 3)).toBe(11);
    expect(domainPower(26256, 11)).toBe(15);
  });

  it('refuses a file that is not an r1cs', async () => {
    await expect(devSetup({ r1cs: join(dir, 'a.zkey'), zkey: join(dir, 'x.zkey') })).rejects.toThrow(R1csFormatError);
  });
});
