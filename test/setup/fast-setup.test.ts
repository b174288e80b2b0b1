// The dev setup's keys are ordinary snarkjs keys: the snarkjs CLI proves and verifies with them, and the
// Solidity verifier snarkjs exports from them accepts the proof on the embedded EVM. On the built-in
// circuit, the one a deployment gets without DREX_CIRCUIT.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as snarkjs from 'snarkjs';
import type { Address } from 'viem';
import { BUILT_IN_CIRCUIT } from '../../circuits/build/compile.ts';
import { ensureArtifacts, type Artifacts } from '../../circuits/ceremony/setup.ts';
import { buildSample } from '../../circuits/sample/sample-transfer.ts';
import { releaseSnarkjs } from '../../circuits/snarkjs-runtime.ts';
import { compileContracts } from '../../ledger-bridge/build/compile-contracts.ts';
import { createChainClient } from '../../ledger-bridge/chain/chain-client.ts';
import { deployContract } from '../../ledger-bridge/chain/deploy-settlement.ts';
import { startEmbeddedChain, type EmbeddedChain } from '../../ledger-bridge/chain/embedded-chain.ts';
import { groth16VerifierAbi } from '../../ledger-bridge/chain/settlement-abi.ts';

const run = promisify(execFile);
const require = createRequire(import.meta.url);
// snarkjs's package exports hide package.json; its main entry sits in build/ beside the CLI.
const snarkjsCli = join(dirname(require.resolve('snarkjs')), 'cli.cjs');

/** Runs the snarkjs CLI; resolves with its exit code and output (a non-zero exit is not an error here). */
async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [snarkjsCli, ...args], { maxBuffer: 16 << 20 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

let artifacts: Artifacts;
let dir: string;
let chain: EmbeddedChain | undefined;
beforeAll(async () => {
  artifacts = await ensureArtifacts({ circuit: BUILT_IN_CIRCUIT });
  dir = mkdtempSync(join(tmpdir(), 'fast-setup-'));
  const sample = await buildSample(BUILT_IN_CIRCUIT);
  await snarkjs.wtns.calculate(sample.proof.input as Record<string, unknown>, artifacts.wasm, join(dir, 'witness.wtns'));
  await releaseSnarkjs();
}, 300_000);
afterAll(async () => {
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('keys from the dev setup', () => {
  it('were made by the dev setup, and say so', () => {
    expect(artifacts.manifest.setup).toEqual({ method: 'dev-single-party', trusted: false });
    // The built-in circuit (k = 1, depths 20 and 21), whatever DREX_CIRCUIT the suite runs: 2^17 fits it.
    expect(artifacts.manifest.power).toBe(17);
  });

  it('prove and verify with the snarkjs CLI; a proof does not verify for other public signals', async () => {
    const p = (f: string) => join(dir, f);
    const proved = await cli('groth16', 'prove', artifacts.zkey, p('witness.wtns'), p('proof.json'), p('public.json'));
    expect(proved.code, proved.out).toBe(0);
    const ok = await cli('groth16', 'verify', artifacts.vkey, p('public.json'), p('proof.json'));
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/OK/);

    const pub = JSON.parse(readFileSync(p('public.json'), 'utf8')) as string[];
    for (const i of [0, 1, 6]) {
      const other = [...pub];
      other[i] = String(BigInt(other[i]!) + 1n);
      writeFileSync(p('other.json'), JSON.stringify(other));
      const bad = await cli('groth16', 'verify', artifacts.vkey, p('other.json'), p('proof.json'));
      expect(bad.code, `signal ${i}: ${bad.out}`).not.toBe(0);
      expect(bad.out).toMatch(/Invalid proof/);
    }
  });

  it('give a Solidity verifier (snarkjs export) that accepts the proof on the embedded EVM and refuses other signals', async () => {
    const proof = JSON.parse(readFileSync(join(dir, 'proof.json'), 'utf8')) as snarkjs.Groth16Proof;
    const pub = JSON.parse(readFileSync(join(dir, 'public.json'), 'utf8')) as string[];
    const calldata = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(proof, pub)}]`) as [string[], string[][], string[], string[]];
    const compiled = await compileContracts({ artifacts });
    chain = await startEmbeddedChain();
    const client = createChainClient({ url: chain.url, privateKey: chain.accounts[0]!, gasPrice: 0n });
    const { address } = await deployContract(client, 'Groth16Verifier', compiled.contracts.Groth16Verifier);
    const verify = (signals: string[]) =>
      client.public.readContract({
        address: address as Address,
        abi: groth16VerifierAbi,
        functionName: 'verifyProof',
        args: [
          calldata[0].map(BigInt) as [bigint, bigint],
          calldata[1].map((r) => r.map(BigInt)) as [[bigint, bigint], [bigint, bigint]],
          calldata[2].map(BigInt) as [bigint, bigint],
          signals.map(BigInt) as unknown as readonly [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint],
        ],
      });
    expect(await verify(calldata[3])).toBe(true);
    const other = [...calldata[3]];
    other[1] = `0x${(BigInt(other[1]!) + 1n).toString(16)}`;
    expect(await verify(other)).toBe(false);
  });
});
