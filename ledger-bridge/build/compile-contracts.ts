import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';
import type { Abi, Hex } from 'viem';
import { ensureArtifacts, type Artifacts } from '../../circuits/ceremony/setup.ts';
import { cacheDir } from '../../circuits/ceremony/cache-dir.ts';
import { withFileLock } from '../../circuits/ceremony/file-lock.ts';
import { sha256Hex } from '../../circuits/build/hash.ts';
import { batchVerifierSource, type Groth16VerificationKey } from './batch-verifier-source.ts';
import { DrexError } from '../../protocol/errors.ts';

/**
 * The EVM version the contracts are compiled for. London runs on every Besu genesis with `londonBlock`
 * (no PUSH0, no transient storage, no MCOPY), and on any later fork.
 */
export const DEFAULT_EVM_VERSION = 'london';
export type EvmVersion = 'london' | 'paris' | 'shanghai' | 'cancun';

/**
 * DrexSettlement settles proofs of the k-transfer circuit (transfer-batch); the verifiers hold the
 * verification key of the artifacts compiled against, so deploy it with that build's k.
 */
export const CONTRACT_NAMES = ['Groth16Verifier', 'BatchVerifier', 'DrexSettlement'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface CompiledContract {
  abi: Abi;
  /** Creation bytecode, 0x-prefixed. */
  bytecode: Hex;
}

export interface CompiledContracts {
  /** Content hash of the compiler, settings and every source. */
  key: string;
  /** Cache folder holding `compiled.json` and the exact `sources/` compiled. */
  dir: string;
  solcVersion: string;
  evmVersion: EvmVersion;
  /** sha256 of the verification key the verifiers were generated from. */
  vkeyHash: string;
  contracts: Record<ContractName, CompiledContract>;
}

export interface CompileOptions {
  /** The circuit artifacts whose verifier and verification key to build in; `ensureArtifacts()` when omitted. */
  artifacts?: Pick<Artifacts, 'vkey' | 'solidityVerifier'>;
  evmVersion?: EvmVersion;
  /** Called with a line when a (slow) compilation actually runs. */
  onProgress?: (msg: string) => void;
}

/** Raised when solc reports errors (the message lists them). */
export class ContractCompileError extends DrexError {
  override name = 'ContractCompileError';
  readonly code = 'CONTRACT_COMPILE_FAILED';
}

const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'contracts');

/** Every Solidity source to compile, keyed by its standard-JSON source name. */
export function collectSources(artifacts: Pick<Artifacts, 'vkey' | 'solidityVerifier'>): { sources: Record<string, string>; vkeyHash: string } {
  const sources: Record<string, string> = {};
  for (const f of readdirSync(CONTRACTS_DIR).filter((f) => f.endsWith('.sol')).sort()) {
    sources[`contracts/${f}`] = readFileSync(join(CONTRACTS_DIR, f), 'utf8');
  }
  const vkeyText = readFileSync(artifacts.vkey, 'utf8');
  const vkeyHash = sha256Hex(vkeyText);
  const vk = JSON.parse(vkeyText) as Groth16VerificationKey;
  sources['contracts/BatchVerifier.sol'] = batchVerifierSource(vk, `verification_key.json sha256 ${vkeyHash}`);
  // snarkjs's export, verbatim.
  sources['contracts/Groth16Verifier.sol'] = readFileSync(artifacts.solidityVerifier, 'utf8');
  return { sources, vkeyHash };
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
}

function runSolc(sources: Record<string, string>, evmVersion: EvmVersion): Record<ContractName, CompiledContract> {
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([k, content]) => [k, { content }])),
    settings: {
      evmVersion,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length) throw new ContractCompileError(`solc ${solc.version()} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  const result = {} as Record<ContractName, CompiledContract>;
  for (const name of CONTRACT_NAMES) {
    const c = out.contracts?.[`contracts/${name}.sol`]?.[name];
    if (!c?.evm.bytecode.object) throw new ContractCompileError(`solc produced no bytecode for ${name}`);
    result[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
  return result;
}

/**
 * Compiles the settlement contracts (solc-js standard JSON, optimizer on, pinned EVM version) with the
 * Groth16Verifier and a BatchVerifier generated from the circuit artifacts. Cached by content hash
 * under `~/.cache/drex-swarm/contracts/<key>`; concurrent callers share one compilation (file lock).
 */
export async function compileContracts(opts: CompileOptions = {}): Promise<CompiledContracts> {
  const artifacts = opts.artifacts ?? (await ensureArtifacts());
  const evmVersion = opts.evmVersion ?? DEFAULT_EVM_VERSION;
  const { sources, vkeyHash } = collectSources(artifacts);
  const solcVersion = String(solc.version());
  const key = sha256Hex(JSON.stringify({ solcVersion, evmVersion, optimizer: 200, sources })).slice(0, 16);
  const dir = join(cacheDir('contracts'), key);
  const compiledPath = join(dir, 'compiled.json');
  if (!existsSync(compiledPath)) {
    await withFileLock(`${dir}.lock`, async () => {
      if (existsSync(compiledPath)) return;
      opts.onProgress?.(`compiling contracts with solc ${solcVersion} (evmVersion ${evmVersion})`);
      const t0 = Date.now();
      const contracts = runSolc(sources, evmVersion);
      opts.onProgress?.(`compiled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const tmp = `${dir}.${process.pid}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(join(tmp, 'sources', 'contracts'), { recursive: true });
      for (const [name, content] of Object.entries(sources)) writeFileSync(join(tmp, 'sources', name), content);
      writeFileSync(join(tmp, 'compiled.json'), JSON.stringify({ key, solcVersion, evmVersion, vkeyHash, contracts }));
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    });
  }
  const cached = JSON.parse(readFileSync(compiledPath, 'utf8')) as Omit<CompiledContracts, 'dir'>;
  return { ...cached, dir };
}
