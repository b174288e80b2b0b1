import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBinFile } from './bin-file.ts';
import { devSetup } from './dev-setup.ts';
import { openExternalPtau, PtauError } from './ptau.ts';
import { writeSyntheticR1cs } from './synthetic-r1cs.ts';

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ptau-'));
  writeSyntheticR1cs(join(dir, 'c.r1cs'), { constraints: 100, publicInputs: 2 });
  await devSetup({ r1cs: join(dir, 'c.r1cs'), zkey: join(dir, 'c.zkey'), ptau: join(dir, 'c.ptau'), threads: 1 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openExternalPtau', () => {
  it('accepts a prepared powers of tau that is large enough, and reports its power', () => {
    expect(openExternalPtau(join(dir, 'c.ptau'), 7)).toEqual({ path: join(dir, 'c.ptau'), power: 7 });
    expect(openExternalPtau(join(dir, 'c.ptau'), 5).power).toBe(7);
  });

  it('refuses one too small for the circuit, naming both powers', () => {
    expect(() => openExternalPtau(join(dir, 'c.ptau'), 8)).toThrow(/power 7; this circuit needs at least 8/);
  });

  it('refuses a missing file, another format and an unprepared powers of tau', () => {
    expect(() => openExternalPtau(join(dir, 'none.ptau'), 7)).toThrow(PtauError);
    expect(() => openExternalPtau(join(dir, 'c.zkey'), 7)).toThrow(/not a powers-of-tau file/);
    const header = Buffer.alloc(44);
    header.writeUInt32LE(32, 0);
    header.writeUInt32LE(7, 36);
    writeBinFile(join(dir, 'raw.ptau'), 'ptau', [[1, header], [2, new Uint8Array(64)]]);
    expect(() => openExternalPtau(join(dir, 'raw.ptau'), 7)).toThrow(/not prepared for phase 2/);
    writeFileSync(join(dir, 'cut.ptau'), Buffer.from('ptau\x01\x00\x00\x00\x02\x00\x00\x00', 'latin1'));
    expect(() => openExternalPtau(join(dir, 'cut.ptau'), 7)).toThrow(/truncated/);
  });
});
