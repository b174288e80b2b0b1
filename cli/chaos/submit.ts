import { batchIdOf } from '../../orchestrator/api/validate-submit.ts';
import type { ChaosBatch } from './intents.ts';
import { isRefusal, type ResilientBatchApi } from './batch-api.ts';
import { ChaosSubmitError } from './errors.ts';

/** An accepted batch. */
export interface Accepted {
  batchId: string;
  /** Attempts until the orchestrator accepted it (1 = at once). */
  attempts: number;
  duplicate: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Submits a batch until the orchestrator accepts it, retrying with the same idempotency key (a retry of
 * a batch already stored returns it as a duplicate). A definitive refusal is checked against GetBatch
 * first (an earlier attempt may have stored the batch before its answer was lost).
 */
export async function submitUntilAccepted(
  api: ResilientBatchApi,
  b: ChaosBatch,
  o: { bankId: string; deployment: string; deadline: number; log: (m: string) => void },
): Promise<Accepted> {
  const expectedId = batchIdOf(o.deployment, o.bankId, b.idempotencyKey);
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await api.submit(b.intents, b.idempotencyKey);
      return { batchId: res.batchId, attempts: attempt, duplicate: res.duplicate };
    } catch (err) {
      const e = err as Error & { code?: string };
      if (isRefusal(err)) {
        const stored = await api.get(expectedId).then(
          () => true,
          () => false,
        );
        if (stored) return { batchId: expectedId, attempts: attempt, duplicate: true };
        throw new ChaosSubmitError(`batch ${b.idempotencyKey} refused: [${e.code}] ${e.message}`, { cause: err });
      }
      if (Date.now() > o.deadline) throw new ChaosSubmitError(`batch ${b.idempotencyKey} not accepted before the deadline (${attempt} attempts); last: ${e.message}`, { cause: err });
      const grpc = (err as { grpcCode?: number }).grpcCode;
      o.log(`submit ${b.idempotencyKey} attempt ${attempt} failed (${e.code ?? e.name}${grpc !== undefined ? `, gRPC status ${grpc}` : ''}: ${e.message.slice(0, 120)}); retrying`);
      await sleep(Math.min(500 * attempt, 3000));
    }
  }
}
