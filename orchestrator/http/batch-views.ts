import type { KV } from '@nats-io/kv';
import { halfJobId } from '../../protocol/messages/half.ts';
import { leaseKeyOfJob, leaseV1 } from '../../protocol/messages/work.ts';
import { TRANSFER_PUBLIC_INPUTS as IX } from '../../protocol/transfer-public-inputs.ts';
import { jobIdOf } from '../dispatch/dispatcher.ts';
import type { BatchEventRecord, BatchRecord, BatchStore, StoredPlan, StoredProof } from '../store/batch-store.ts';
import type { GrantAttestationV1 } from '../../protocol/messages/work.ts';

/** A batch in the listing: its record, without anything private (no intents, no witnesses). */
export interface BatchSummary extends Pick<BatchRecord, 'id' | 'bankId' | 'state' | 'transfers' | 'proofs' | 'verified' | 'planVersion' | 'rootBefore' | 'rootAfter' | 'createdMs' | 'updatedMs'> {
  settlement: { txHash: string; block: number; aggregationRoot: string | null; settledMs: number | null } | null;
  error: { code: string; message: string } | null;
  /** When its data was pruned down to this audit record (null: not pruned). */
  prunedMs: number | null;
}

/** One status event of a batch's history. */
export interface BatchEventView {
  seq: number;
  state: BatchRecord['state'];
  message: string;
  verified: number;
  proofs: number;
  errorCode: string | null;
  settlementTx: string | null;
  block: number | null;
  atMs: number;
}

/** One verified proof: who made it, how long it took, and the ledger points it moves between. */
export interface ProofView {
  index: number;
  /** Indices of the batch's transfers it proves. */
  transfers: number[];
  jobId: string;
  workerId: string;
  halfWorkers: [string, string] | null;
  /** The prover's TEE attestation when its job was granted (enclave module, PCR0, root, valid until); null: not an attested job. */
  attestation: GrantAttestationV1 | null;
  proveMs: number;
  /** From publication to its verified result (null: not recorded). */
  turnaroundMs: number | null;
  verifiedMs: number | null;
  noteRootBefore: string;
  noteRootAfter: string;
}

/** A batch with its history and its proofs. */
export interface BatchDetail extends BatchSummary {
  events: BatchEventView[];
  proofsVerified: ProofView[];
  /** The history and proofs were pruned (only the audit record is left). */
  pruned: boolean;
}

/** Where one job (one proof of the current plan) stands. */
export interface JobView {
  index: number;
  /** The attempt in flight or last made (1 before the first publication). */
  attempt: number;
  jobId: string;
  /**
   * `waiting`: planned, not published; `published`: on the queue or in a worker's hands; `verified`: its
   * proof is recorded; `abandoned`: the batch failed without it.
   */
  state: 'waiting' | 'published' | 'verified' | 'abandoned';
  enqueuedMs: number | null;
  /** Who holds the attempt's deliveries now (from the job leases; split proving: per half). */
  holders: { half: 0 | 1 | null; workerId: string; lease: 'held' | 'acked'; grantedMs: number }[];
  workerId: string | null;
}

export function batchSummary(r: BatchRecord): BatchSummary {
  return {
    id: r.id,
    bankId: r.bankId,
    state: r.state,
    transfers: r.transfers,
    proofs: r.proofs,
    verified: r.verified,
    planVersion: r.planVersion,
    rootBefore: r.rootBefore,
    rootAfter: r.rootAfter,
    settlement: r.settlementTx ? { txHash: r.settlementTx, block: r.block, aggregationRoot: r.aggregationRoot || null, settledMs: r.settledMs || null } : null,
    error: r.errorCode || r.error ? { code: r.errorCode, message: r.error } : null,
    createdMs: r.createdMs,
    updatedMs: r.updatedMs,
    prunedMs: r.prunedMs || null,
  };
}

function eventView(e: BatchEventRecord): BatchEventView {
  return {
    seq: e.seq,
    state: e.state,
    message: e.message,
    verified: e.verified,
    proofs: e.proofs,
    errorCode: e.errorCode || null,
    settlementTx: e.settlementTx || null,
    block: e.block || null,
    atMs: e.atMs,
  };
}

function proofView(p: StoredProof, plan: StoredPlan | null): ProofView {
  return {
    index: p.index,
    transfers: plan?.proofs[p.index]?.transfers ?? [],
    jobId: p.jobId,
    workerId: p.workerId,
    halfWorkers: p.halfWorkers ?? null,
    attestation: p.attestation ?? null,
    proveMs: Math.round(p.proveMs),
    turnaroundMs: p.verifiedMs && p.enqueuedMs ? p.verifiedMs - p.enqueuedMs : null,
    verifiedMs: p.verifiedMs ?? null,
    noteRootBefore: p.publicSignals[IX.noteRootBefore] ?? '',
    noteRootAfter: p.publicSignals[IX.noteRootAfter] ?? '',
  };
}

/** A batch with its history and proofs (null: no such batch). */
export async function batchDetail(store: BatchStore, id: string): Promise<BatchDetail | null> {
  const r = await store.get(id);
  if (!r) return null;
  const [events, proofs, plan] = await Promise.all([store.events(id), store.proofs(id), store.plan(id)]);
  return { ...batchSummary(r), events: events.map(eventView), proofsVerified: proofs.map((p) => proofView(p, plan)), pruned: r.prunedMs > 0 };
}

/** The leases on one attempt (whole job, or its two halves), from the leases bucket. */
async function holdersOf(leases: KV, jobId: string): Promise<JobView['holders']> {
  const keys: [0 | 1 | null, string][] = [
    [null, jobId],
    [0, halfJobId(jobId, 0)],
    [1, halfJobId(jobId, 1)],
  ];
  const out: JobView['holders'] = [];
  await Promise.all(
    keys.map(async ([half, id]) => {
      const e = await leases.get(leaseKeyOfJob(id)).catch(() => null);
      if (!e || e.operation !== 'PUT' || e.length === 0) return;
      let parsed;
      try {
        parsed = leaseV1.safeParse(e.json());
      } catch {
        return;
      }
      if (parsed.success) out.push({ half, workerId: parsed.data.workerId, lease: parsed.data.state, grantedMs: parsed.data.grantedMs });
    }),
  );
  return out.sort((a, b) => (a.half ?? -1) - (b.half ?? -1));
}

/**
 * The jobs of a batch's current plan: per proof, its attempt, state and (while published, when the
 * leases bucket is given) who holds it. Null: no such batch. A batch not planned, or pruned, has none.
 */
export async function batchJobs(store: BatchStore, id: string, leases?: KV): Promise<{ batch: BatchSummary; jobs: JobView[] } | null> {
  const r = await store.get(id);
  if (!r) return null;
  const [plan, proofs, attempts] = await Promise.all([store.plan(id), store.proofs(id), store.attempts(id)]);
  if (!plan || plan.version !== r.planVersion) return { batch: batchSummary(r), jobs: [] };
  const proved = new Map(proofs.map((p) => [p.index, p]));
  const jobs = await Promise.all(
    plan.proofs.map(async (t): Promise<JobView> => {
      const a = attempts.get(t.index);
      const attempt = a?.attempt ?? 1;
      const jobId = jobIdOf(id, plan.version, t.index, attempt);
      const proof = proved.get(t.index);
      const published = a !== undefined && a.enqueuedMs > 0;
      const state: JobView['state'] = proof ? 'verified' : r.state === 'FAILED' ? 'abandoned' : published && r.state === 'PROVING' ? 'published' : 'waiting';
      return {
        index: t.index,
        attempt,
        jobId,
        state,
        enqueuedMs: a?.enqueuedMs || null,
        holders: state === 'published' && leases ? await holdersOf(leases, jobId) : [],
        workerId: proof?.workerId ?? null,
      };
    }),
  );
  return { batch: batchSummary(r), jobs };
}
