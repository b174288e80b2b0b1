import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { attestationPolicy, type AttestationPolicyOptions } from '../../swarm/attestation/attestation-policy.ts';
import type { AttestationReport } from '../../swarm/attestation/attestation-report.ts';
import { AWS_NITRO_ROOT_PEM } from '../../swarm/attestation/aws-nitro-root.ts';
import { documentBytes } from '../../swarm/attestation/document-input.ts';
import { verifyAttestation } from '../../swarm/attestation/verify-attestation.ts';

/** Exit status for a usage error or an unreadable file (1 means: the document failed a check). */
const USAGE = 2;

function isoTime(v: string): Date {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new InvalidArgumentError(`not an ISO time: "${v.slice(0, 80)}"`);
  return d;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** "90s", "5m", "3h", "2d", "1500ms" -> milliseconds. */
export function durationMs(v: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(v.trim());
  if (!m || Number(m[1]) <= 0) throw new InvalidArgumentError(`not a duration such as 90s, 5m, 3h or 2d: "${v.slice(0, 80)}"`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

const HEX = /^([0-9a-fA-F]{2})+$/;
function hexArg(v: string): string {
  if (!HEX.test(v)) throw new InvalidArgumentError('must be hex bytes');
  return v.toLowerCase();
}
function pcrArg(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const m = /^(\d{1,2})=([0-9a-fA-F]+)$/.exec(v);
  if (!m || Number(m[1]) > 31 || ![64, 96, 128].includes(m[2]!.length)) throw new InvalidArgumentError(`expected IDX=HEX (index 0..31, 48-byte value), got "${v.slice(0, 80)}"`);
  return { ...prev, [String(Number(m[1]))]: m[2]!.toLowerCase() };
}
const collect = (v: string, prev: string[] = []) => [...prev, v];

interface VerifyFlags {
  at?: Date;
  root?: string[];
  allowDebug?: boolean;
  pcr?: Record<string, string>;
  maxAge?: number;
  nonce?: string;
  publicKey?: string;
  json?: boolean;
}

/** The human form of a report: the verdict, what the document states, then each check. */
export function reportLines(file: string, r: AttestationReport): string[] {
  const lines = [`${file}: ${r.ok ? 'VERIFIED: every check passed' : `REFUSED: ${r.failed.join(', ')} failed`}`, `  checked at   ${r.at}`];
  const c = r.claims;
  if (c) {
    const zero = Object.entries(c.pcrs).filter(([, v]) => /^0+$/.test(v)).map(([i]) => i);
    lines.push(
      `  module       ${c.moduleId}`,
      `  timestamp    ${c.timestamp} (${r.ageMs! >= 0 ? `${Math.round(r.ageMs! / 1000)} s old` : `${Math.round(-r.ageMs! / 1000)} s in the future`})`,
      `  root         ${c.root ? `${c.root.name} (sha256 ${c.root.sha256})` : 'none trusted'}`,
      `  leaf         ${c.chain.at(-1)?.subject ?? '-'}`,
      `  public key   ${c.publicKey ?? 'none'}`,
      `  nonce        ${c.nonce ?? 'none'}`,
      `  user data    ${c.userData ?? 'none'}`,
      `  PCRs${c.debugMode ? ' (debug mode: PCR0-2 zero)' : ''}`,
      ...Object.entries(c.pcrs).filter(([i]) => !zero.includes(i)).map(([i, v]) => `    PCR${i.padEnd(3)} ${v}`),
      ...(zero.length ? [`    zero: ${zero.map((i) => `PCR${i}`).join(' ')}`] : []),
    );
  }
  lines.push('checks:', ...r.checks.map((k) => `  ${k.ok ? 'ok  ' : 'FAIL'} ${k.check.padEnd(20)} ${k.detail}`));
  return lines;
}

async function verifyAction(file: string, o: VerifyFlags): Promise<void> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    process.stderr.write(`drex-swarm: cannot read ${file}: ${(err as Error).message}\n`);
    process.exitCode = USAGE;
    return;
  }
  const options: AttestationPolicyOptions = { allowDebug: o.allowDebug ?? false, allowedMeasurements: o.pcr ? [o.pcr] : [], maxAgeMs: o.maxAge, nonce: o.nonce, publicKey: o.publicKey };
  if (o.root) {
    options.roots = [];
    for (const r of o.root) {
      if (r === 'aws') options.roots.push({ name: 'AWS Nitro Enclaves root G1', pem: AWS_NITRO_ROOT_PEM });
      else {
        try {
          options.roots.push({ name: r, pem: await readFile(r, 'utf8') });
        } catch (err) {
          process.stderr.write(`drex-swarm: cannot read the root ${r}: ${(err as Error).message}\n`);
          process.exitCode = USAGE;
          return;
        }
      }
    }
  }
  let policy;
  try {
    policy = await attestationPolicy(options);
  } catch (err) {
    process.stderr.write(`drex-swarm: [${(err as { code?: string }).code}] ${(err as Error).message}\n`);
    process.exitCode = USAGE;
    return;
  }
  const report = await verifyAttestation(documentBytes(raw), policy, o.at ?? new Date());
  const lines = reportLines(file, report);
  if (o.json) lines.push(JSON.stringify({ file, ...report }));
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = report.ok ? 0 : 1;
}

/** `drex-swarm attest verify FILE`: a regulator's own check of an attestation document. */
export function attestCommand(): Command {
  const verify = new Command('verify')
    .description('verify an AWS Nitro Enclaves attestation document (raw CBOR or base64): exit 0 only when every check passes, 1 when one fails, 2 for a usage error or an unreadable file')
    .argument('<file>', 'the document: raw CBOR (COSE_Sign1) or base64 text')
    .option('--at <iso-time>', 'check certificates and age as of this time (default: now)', isoTime)
    .option('--root <pem>', 'trust this root certificate (PEM file; "aws" for the pinned AWS Nitro root) instead of the AWS root alone; repeatable', collect)
    .option('--allow-debug', 'accept debug-mode documents (PCR0-2 zero), refused by default')
    .option('--pcr <idx=hex>', 'require this PCR value (all given must match); repeatable', pcrArg)
    .addOption(new Option('--max-age <duration>', 'oldest document accepted, e.g. 90s, 5m, 3h (default 5m)').argParser(durationMs))
    .option('--nonce <hex>', 'require this nonce', hexArg)
    .option('--public-key <hex>', 'require the document to bind this public key', hexArg)
    .option('--json', 'also print the report as one JSON object on the last line')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : USAGE))
    .action(verifyAction);
  return new Command('attest').description('TEE attestation documents: verify them as a regulator').addCommand(verify);
}
