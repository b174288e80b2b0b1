import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatAbiItem } from 'viem/utils';
import type { Abi, AbiFunction, Hex } from 'viem';
import { ensureArtifacts, type Artifacts } from '../../circuits/ceremony/setup.ts';
import { batchVerifierAbi, drexSettlementAbi, groth16VerifierAbi } from '../chain/settlement-abi.ts';
import { batchVerifierSource, VerificationKeyError, type Groth16VerificationKey } from './batch-verifier-source.ts';
import { compileContracts, type CompiledContracts } from './compile-contracts.ts';

/** Opcodes of the runtime part of creation code, skipping PUSH data and the trailing CBOR metadata. */
function opcodes(code: Hex): number[] {
  const bytes = Buffer.from(code.slice(2), 'hex');
  const metaLen = bytes.readUInt16BE(bytes.length - 2) + 2;
  const ops: number[] = [];
  for (let i = 0; i < bytes.length - metaLen; i++) {
    const op = bytes[i]!;
    ops.push(op);
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
  }
  return ops;
}

const signature = (x: Abi[number]) =>
  x.type === 'constructor'
    ? `constructor(${x.inputs.map((i) => i.type).join(',')})`
    : `${formatAbiItem(x)}${x.type === 'function' ? ` -> ${(x as AbiFunction).outputs.map((o) => o.type).join(',')} ${(x as AbiFunction).stateMutability}` : ''}`;

let artifacts: Artifacts;
let compiled: CompiledContracts;
beforeAll(async () => {
  artifacts = await ensureArtifacts();
  compiled = await compileContracts({ artifacts });
}, 300_000);

describe('compileContracts', () => {
  it('compiles the contracts for london and caches them by content hash', async () => {
    expect(compiled.evmVersion).toBe('london');
    expect(compiled.solcVersion).toMatch(/^0\.8\.37/);
    const again = await compileContracts({ artifacts });
    expect(again.key).toBe(compiled.key);
    for (const c of Object.values(compiled.contracts)) {
      expect(c.bytecode).toMatch(/^0x[0-9a-f]+$/);
      // No PUSH0 (0x5f, Shanghai) in code meant for a London genesis.
      expect(opcodes(c.bytecode)).not.toContain(0x5f);
    }
  });

  it('uses snarkjs\'s exported verifier verbatim and a batch verifier with the same key', () => {
    const sources = join(compiled.dir, 'sources', 'contracts');
    expect(readFileSync(join(sources, 'Groth16Verifier.sol'), 'utf8')).toBe(readFileSync(artifacts.solidityVerifier, 'utf8'));
    const vk = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as Groth16VerificationKey;
    const batch = readFileSync(join(sources, 'BatchVerifier.sol'), 'utf8');
    expect(batch).toContain(`IC11_Y = ${vk.IC[11]![1]};`);
    expect(batch).toContain(`DELTA_X1 = ${vk.vk_delta_2[0]![1]};`);
    // Every precompile call forwards a fixed amount, checked first (InsufficientGas), never all the gas left.
    expect(batch).not.toContain('staticcall(gas()');
    expect(batch.match(/needGas\(/g)).toHaveLength(1 + 3);
  });

  it('refuses a verification key with another number of public inputs', () => {
    const vk = JSON.parse(readFileSync(artifacts.vkey, 'utf8')) as Groth16VerificationKey;
    expect(() => batchVerifierSource({ ...vk, nPublic: 10, IC: vk.IC.slice(0, 11) }, 'test')).toThrow(VerificationKeyError);
  });

  it('matches the typed ABIs the chain client uses (no drift)', () => {
    const pairs: [Abi, Abi][] = [
      [drexSettlementAbi, compiled.contracts.DrexSettlement.abi],
      [batchVerifierAbi, compiled.contracts.BatchVerifier.abi],
      [groth16VerifierAbi, compiled.contracts.Groth16Verifier.abi],
    ];
    for (const [typed, actual] of pairs) {
      const have = new Set(actual.map(signature));
      for (const item of typed) expect(have, signature(item)).toContain(signature(item));
    }
    // The settlement's typed ABI is all of the contract's (every revert decodes by name), and no more.
    expect(new Set(drexSettlementAbi.map(signature))).toEqual(new Set(compiled.contracts.DrexSettlement.abi.map(signature)));
    // The batch verifier's errors pass through settleBatch: the settlement's ABI decodes them too.
    const settlementErrors = new Set(drexSettlementAbi.filter((x) => x.type === 'error').map(signature));
    for (const e of compiled.contracts.BatchVerifier.abi.filter((x) => x.type === 'error')) expect(settlementErrors, signature(e)).toContain(signature(e));
  });
});
