import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY } from '../../cli/devnet/child-process.ts';
import { DSTACK, EVERVAULT, nitroFixture } from '../../swarm/attestation/fixtures/nitro-fixtures.ts';
import { DevEnclave } from '../../worker/tee/dev-enclave.ts';

const dir = mkdtempSync(join(tmpdir(), 'attest-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** Runs `drex-swarm attest verify ...args`; resolves with its exit status and output. */
function attest(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_ENTRY, 'attest', 'verify', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!) as { ok: boolean; failed: string[]; checks: { check: string; ok: boolean; detail: string }[]; claims: { moduleId: string } | null };

const fixture = (name: string) => fileURLToPath(new URL(`../../swarm/attestation/fixtures/${name}`, import.meta.url));
const dstack = fixture(DSTACK.file);

describe('drex-swarm attest verify', () => {
  it('exits 0 for a real document checked at its own time (base64 input), printing every check and one JSON object last', async () => {
    const b64 = file('dstack.b64', `${nitroFixture(DSTACK.file).toString('base64')}\n`);
    const r = await attest(b64, '--at', DSTACK.at.toISOString(), '--json', '--pcr', '0=5cb702954321826d7939d6da829a940d787fcf32357beb8eae1ddf33c28c17d36f3ac3ba6828fdf7edeed02889702da6');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/VERIFIED: every check passed/);
    expect(r.stdout).toMatch(/ok +PCR_POLICY/);
    const j = lastJson(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.checks).toHaveLength(10);
    expect(j.claims!.moduleId).toBe(DSTACK.moduleId);
  }, 30_000);

  it('exits 1 and names the failed check: debug mode by default, expired certificates at the current time', async () => {
    const debug = await attest(fixture(EVERVAULT.file), '--at', EVERVAULT.at.toISOString(), '--json');
    expect(debug.code).toBe(1);
    expect(debug.stdout).toMatch(/REFUSED: DEBUG_MODE failed/);
    expect(lastJson(debug.stdout).failed).toEqual(['DEBUG_MODE']);
    const now = await attest(dstack, '--json');
    expect(now.code).toBe(1);
    expect(lastJson(now.stdout).failed).toEqual(['CERTIFICATE_VALIDITY', 'DOCUMENT_AGE']);
    expect(now.stdout).toMatch(/FAIL CERTIFICATE_VALIDITY .*expired/);
  }, 30_000);

  it('accepts a dev enclave document only with --root naming its root', async () => {
    const enclave = await DevEnclave.create();
    const doc = file('dev.cbor', await enclave.attest({ publicKey: Buffer.alloc(32, 9) }));
    const root = file('dev-root.pem', enclave.rootPem());
    const plain = await attest(doc, '--json');
    expect(plain.code).toBe(1);
    expect(lastJson(plain.stdout).failed).toEqual(['ROOT_PINNED']);
    const trusted = await attest(doc, '--root', 'aws', '--root', root, '--public-key', '09'.repeat(32));
    expect(trusted.code, trusted.stdout).toBe(0);
  }, 30_000);

  it('exits 2 for an unreadable file or a bad flag, 1 for bytes that are not a document', async () => {
    expect((await attest(join(dir, 'missing.bin'))).code).toBe(2);
    expect((await attest(dstack, '--at', 'yesterday')).code).toBe(2);
    const junk = await attest(file('junk.txt', 'hello, regulator'), '--json');
    expect(junk.code).toBe(1);
    expect(lastJson(junk.stdout).failed[0]).toBe('CBOR');
  }, 30_000);
});
