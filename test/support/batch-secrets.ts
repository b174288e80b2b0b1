import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensureArtifacts } from '../../circuits/ceremony/setup.ts';
import { BatchStore } from '../../orchestrator/store/batch-store.ts';
import { calculateWtns, readProvingKey } from '../../prover/index.ts';
import { readWtnsWitness } from '../../prover/wtns-file.ts';
import { SecretIndex } from './secret-scan.ts';

/** One NATS message as a recorder saw it. */
export interface RecordedMessage {
  subject: string;
  data: Uint8Array;
}

/** The circuit's private inputs: none of them may show outside the trusted parts. */
const PRIVATE_INPUTS = ['Ax', 'Ay', 'nk', 'sigS', 'sigR8x', 'sigR8y', 'recipient', 'amount', 'nonce', 'seed', 'inAmount', 'inSalt', 'inPathElements', 'insertPathElements', 'lowValue', 'lowNext', 'lowPathElements', 'newPathElements'];

/**
 * The secrets of batch `batchId` as its plan holds them (redis at `redisUrl`): every private input of
 * each proof and every private witness value, less the values that are public by design (`publicValues`,
 * the batch's public signals, and the asset).
 */
export async function batchSecrets(redisUrl: string, batchId: string, publicValues: ReadonlySet<string>): Promise<{ label: string; value: bigint }[]> {
  const redis = new Redis(redisUrl);
  const plan = await new BatchStore(redis, 'drex:dev:').plan(batchId);
  redis.disconnect();
  if (!plan) throw new Error(`batch ${batchId} has no plan`);
  const artifacts = await ensureArtifacts();
  const pk = readProvingKey(readFileSync(artifacts.zkey));
  const wasm = readFileSync(artifacts.wasm);
  const isPublic = new Set(publicValues);
  const secrets: { label: string; value: bigint }[] = [];
  for (const t of plan.proofs) {
    t.publicSignals.forEach((s) => isPublic.add(s));
    isPublic.add(String([t.input.asset].flat(Infinity)[0]));
    for (const name of PRIVATE_INPUTS) {
      for (const v of [t.input[name]].flat(Infinity) as string[]) if (v !== undefined) secrets.push({ label: `proof ${t.index} ${name}`, value: BigInt(v) });
    }
    const w = readWtnsWitness(await calculateWtns(wasm, t.input), pk);
    for (let i = 1 + pk.nPublic; i < pk.nVars; i++) {
      const v = Buffer.from(w.subarray(i * 32, i * 32 + 32)).reverse().toString('hex');
      secrets.push({ label: `proof ${t.index} witness[${i}]`, value: BigInt(`0x${v}`) });
    }
  }
  return secrets.filter((s) => !isPublic.has(s.value.toString()));
}

/** Every log file under `dir`. */
function logFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && f.endsWith('.log'));
}

/** Where `index` finds a secret: in each recorded NATS message and each log file under `logDir`. */
export function findLeaks(index: SecretIndex, recorded: readonly RecordedMessage[], logDir: string): string[] {
  const leaks: string[] = [];
  const t0 = performance.now();
  let bytes = 0;
  for (const m of recorded) {
    bytes += m.data.length;
    for (const hit of index.scan(m.data)) leaks.push(`NATS ${m.subject}: ${hit}`);
  }
  console.info(`scanned ${recorded.length} messages (${Math.round(bytes / 1e6)} MB) for ${index.size} secrets in ${Math.round(performance.now() - t0)} ms`);
  for (const f of logFiles(logDir)) for (const hit of index.scan(readFileSync(f))) leaks.push(`log ${f}: ${hit}`);
  return leaks;
}

/** Checks that `index` finds `amount` (a secret below 2^256) in each encoding it claims to search (so an empty scan means something); returns what failed. */
export function scannerBlindSpots(index: SecretIndex, amount: bigint): string[] {
  const le = Buffer.from(amount.toString(16).padStart(64, '0'), 'hex').reverse();
  const probes: [string, string | Buffer][] = [
    ['decimal in JSON', JSON.stringify({ amount: amount.toString() })],
    ['0x hex', `0x${amount.toString(16).padStart(64, '0')}`],
    ['little-endian bytes', Buffer.concat([Buffer.from('xx'), le])],
    ['base64 of bytes', JSON.stringify({ b: Buffer.concat([Buffer.from('x'), le]).toString('base64') })],
  ];
  return probes.filter(([, p]) => index.scan(p).length === 0).map(([what]) => what);
}
