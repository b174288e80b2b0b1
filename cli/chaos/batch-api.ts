import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Identity } from '../../swarm/identity/ed25519.ts';
import type { DeploymentView } from '../bank/bank-client.ts';
import type { WireIntent } from '../../orchestrator/api/validate-submit.ts';
import { BankClient, BankApiError } from '../bank/bank-client.ts';
import { ChaosCallTimeoutError } from './errors.ts';

/** gRPC codes that answer a request for good: retrying the same request cannot change them. */
const FINAL_CODES = new Set<number>([
  GrpcStatus.INVALID_ARGUMENT,
  GrpcStatus.UNAUTHENTICATED,
  GrpcStatus.PERMISSION_DENIED,
  GrpcStatus.FAILED_PRECONDITION,
  GrpcStatus.ALREADY_EXISTS,
]);

/** True when an error of a bank API call is a definitive refusal, not an outage. */
export function isRefusal(err: unknown): boolean {
  return err instanceof BankApiError && FINAL_CODES.has(err.grpcCode);
}

/** True when the orchestrator answered that it has no such batch. */
export function isNotFound(err: unknown): boolean {
  return err instanceof BankApiError && err.code === 'BATCH_NOT_FOUND';
}

/**
 * A bank's BatchService client for an orchestrator that may be down at any moment: every call has a
 * deadline, and after a failed call the next one goes through a fresh client (so a call never waits on
 * a dead connection).
 */
export class ResilientBatchApi {
  private client?: BankClient;

  constructor(private readonly o: { address: string; bankId: string; identity: Identity; callTimeoutMs?: number }) {}

  /** The deployment intents are signed for. */
  deployment(): Promise<DeploymentView> {
    return this.call('GetDeployment', (c) => c.deployment());
  }

  submit(transfers: WireIntent[], idempotencyKey: string): Promise<{ batchId: string; state: string; duplicate: boolean }> {
    return this.call('SubmitBatch', (c) => c.submit(transfers, idempotencyKey));
  }

  get(batchId: string): Promise<Record<string, string | number>> {
    return this.call('GetBatch', (c) => c.get(batchId));
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private async call<T>(what: string, fn: (c: BankClient) => Promise<T>): Promise<T> {
    this.client ??= new BankClient({ address: this.o.address, bankId: this.o.bankId, identity: this.o.identity });
    const ms = this.o.callTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        fn(this.client),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ChaosCallTimeoutError(`${what} got no answer in ${ms} ms`)), ms);
        }),
      ]);
    } catch (err) {
      if (!(err instanceof BankApiError) || !FINAL_CODES.has(err.grpcCode)) this.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
