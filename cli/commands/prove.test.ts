import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const snarkjsCli = join(root, 'node_modules', 'snarkjs', 'build', 'cli.cjs');

describe('drex-swarm prove --sample', () => {
  it('writes snarkjs files that the snarkjs CLI verifies and checks', () => {
    const out = mkdtempSync(join(tmpdir(), 'drex-prove-'));
    const stdout = execFileSync(process.execPath, [join(root, 'bin', 'drex-swarm.js'), 'prove', '--sample', '--out', out], { encoding: 'utf8' });
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    // The deposit to alice took leaves 0 and 1; the payment to bob fills one slot of the default circuit.
    expect(summary).toMatchObject({ verified: true, k: 1, note_index: 2, transfers: 1 });
    const signals = JSON.parse(readFileSync(join(out, 'public.json'), 'utf8')) as string[];
    expect(signals).toHaveLength(11);
    expect(signals.slice(0, 6)).toEqual([summary.note_root_before, summary.note_root_after, '2', summary.null_root_before, summary.null_root_after, '1']);
    expect(signals[10]).toBe(summary.domain);
    for (const f of ['proof.json', 'public.json', 'verification_key.json', 'circuit.r1cs', 'witness.wtns']) expect(existsSync(join(out, f))).toBe(true);
    const verify = execFileSync(process.execPath, [snarkjsCli, 'groth16', 'verify', join(out, 'verification_key.json'), join(out, 'public.json'), join(out, 'proof.json')], { encoding: 'utf8' });
    expect(verify).toMatch(/OK!/);
    const check = execFileSync(process.execPath, [snarkjsCli, 'wtns', 'check', join(out, 'circuit.r1cs'), join(out, 'witness.wtns')], { encoding: 'utf8' });
    expect(check).toMatch(/WITNESS IS CORRECT/);
  });

  it('refuses to run without --out, with a usage error', () => {
    let err: { status?: number; stderr?: string } = {};
    try {
      execFileSync(process.execPath, [join(root, 'bin', 'drex-swarm.js'), 'prove', '--sample'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.status).not.toBe(0);
    expect(err.stderr).toMatch(/--out/);
  });
});
