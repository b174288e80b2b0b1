import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';
import { attestReplyV1 } from '../../protocol/messages/attest.ts';
import type { GrantAttestationV1 } from '../../protocol/messages/work.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { AttestationPolicy } from '../../swarm/attestation/attestation-policy.ts';
import type { AttestationReport } from '../../swarm/attestation/attestation-report.ts';
import { verifyAttestation } from '../../swarm/attestation/verify-attestation.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { MemberEntry } from '../../swarm/membership/member-entry.ts';

/** A worker's attestation as this gateway last checked it. */
interface Checked {
  sealKey: string;
  ok: boolean;
  reason: string;
  /** What the pass showed (ok only). */
  attestation?: GrantAttestationV1;
  /** Until when the verdict holds: a pass until the document or a certificate of its chain expires, a failure for a short while. */
  untilMs: number;
}

/** A failed check is not asked again for this long (the worker may be starting, or simply not attested). */
const RETRY_FAILED_MS = 10_000;

export interface AttestedWorkersOptions {
  nc: NatsConnection;
  names: NatsNames;
  /** What a document must show (trusted roots, allowed measurements, age, debug mode). */
  policy: AttestationPolicy;
  /** Wait for a worker's document (default 5 s). */
  requestTimeoutMs?: number;
  log: Logger;
  registry: Registry;
  now?: () => number;
}

/**
 * Which TEE workers may hold whole-witness jobs: a worker that declares a TEE is asked for a fresh
 * attestation document over NATS (a random nonce), verified against the deployment's policy with its
 * nonce and its declared seal key as the key the document must bind. A pass holds until the document's
 * age limit or its chain's first certificate expiry, whichever comes first, and is then asked again:
 * an attestation that lapses stops new jobs to that worker. A changed seal key is checked afresh.
 */
export class AttestedWorkers {
  private readonly checked = new Map<string, Checked>();
  private readonly inFlight = new Map<string, Promise<Checked>>();
  private readonly checks: Counter<'result'>;
  private readonly now: () => number;

  constructor(private readonly o: AttestedWorkersOptions) {
    this.now = o.now ?? Date.now;
    this.checks = new Counter({ name: 'drex_gateway_attestation_checks_total', help: 'TEE workers\' attestation documents checked by the job gateway, by result', labelNames: ['result'], registers: [o.registry] });
  }

  /** What `member`'s valid, fresh attestation binding its seal key shows; or why it has none. */
  async check(member: MemberEntry): Promise<{ ok: true; attestation: GrantAttestationV1 } | { ok: false; reason: string }> {
    const sealKey = member.capabilities.sealKey;
    if (!member.capabilities.tee) return { ok: false, reason: 'the worker declares no TEE' };
    if (!sealKey) return { ok: false, reason: 'the worker declares no seal key' };
    const known = this.checked.get(member.workerId);
    const c = known && known.sealKey === sealKey && known.untilMs > this.now() ? known : await this.recheck(member.workerId, sealKey);
    return c.ok && c.attestation ? { ok: true, attestation: c.attestation } : { ok: false, reason: c.reason };
  }

  private recheck(workerId: string, sealKey: string): Promise<Checked> {
    let p = this.inFlight.get(workerId);
    if (!p) {
      p = this.ask(workerId, sealKey).finally(() => this.inFlight.delete(workerId));
      this.inFlight.set(workerId, p);
    }
    return p;
  }

  private async ask(workerId: string, sealKey: string): Promise<Checked> {
    const failed = (reason: string): Checked => {
      this.checks.inc({ result: 'refused' });
      this.o.log.warn('worker attestation refused: no whole jobs for it', { worker: workerId, reason });
      return this.keep(workerId, { sealKey, ok: false, reason, untilMs: this.now() + RETRY_FAILED_MS });
    };
    const nonce = randomBytes(32).toString('hex');
    let document: Uint8Array;
    try {
      const msg = await this.o.nc.request(this.o.names.attestRequest(workerId), JSON.stringify({ v: 1, nonce }), { timeout: this.o.requestTimeoutMs ?? 5_000 });
      const reply = attestReplyV1.parse(JSON.parse(new TextDecoder().decode(msg.data)));
      if (!reply.ok) return failed(`the worker gave no document: ${reply.message}`);
      document = Buffer.from(reply.document, 'base64');
    } catch (err) {
      return failed(`no attestation document from the worker: ${(err as Error).message}`);
    }
    const at = this.now();
    const report = await verifyAttestation(document, { ...this.o.policy, nonce, publicKey: sealKey }, new Date(at));
    if (!report.ok) return failed(`attestation document refused: ${report.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`).join('; ')}`);
    this.checks.inc({ result: 'passed' });
    const untilMs = validUntil(report, this.o.policy.maxAgeMs);
    this.o.log.info('worker attestation verified', { worker: workerId, moduleId: report.claims?.moduleId, root: report.claims?.root?.name, validForMs: untilMs - at });
    const claims = report.claims!;
    const attestation: GrantAttestationV1 = { moduleId: claims.moduleId.slice(0, 200), pcr0: claims.pcrs['0'] ?? '', root: (claims.root?.name ?? '').slice(0, 200), untilMs };
    return this.keep(workerId, { sealKey, ok: true, reason: '', untilMs, attestation });
  }

  private keep(workerId: string, c: Checked): Checked {
    this.checked.set(workerId, c);
    return c;
  }
}

/** The end of a passed document's validity: its age limit, or its chain's first certificate to expire. */
export function validUntil(report: AttestationReport, maxAgeMs: number): number {
  const claims = report.claims!;
  const certEnds = claims.chain.map((l) => Date.parse(l.notAfter)).filter((t) => Number.isFinite(t));
  return Math.min(claims.timestampMs + maxAgeMs, ...certEnds);
}
