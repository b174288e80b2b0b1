import type { SealedObjectRef } from '../../protocol/messages/fields.ts';
import type { GrantedJobV1 } from '../../protocol/messages/work.ts';
import type { Logger } from '../../swarm/log/logger.ts';
import type { GatewayClient } from './gateway-client.ts';

/** A job delivery in this worker's hands, answered through the job gateway. */
export interface Delivery {
  /** The job message's bytes (not yet validated). */
  readonly data: Uint8Array;
  readonly deliveryCount: number;
  readonly leaseId: string;
  /** A half job's share: an object in the shares store, sealed to this worker's seal key, bound to `leaseId`. */
  readonly share?: SealedObjectRef;
  /** The provers consumer's ack wait: signal progress well within it. */
  readonly ackWaitMs: number;
  /** True once the gateway answered that the lease is no longer this worker's: its result would not count. */
  readonly lost: boolean;
  /** In progress (resets the ack wait); a refusal sets `lost`. */
  working(): void;
  /** Acks the job (after its result is published); throws when the gateway does not confirm it. */
  ack(): Promise<void>;
  /** Hands the job back, delivered again after `delayMs` (at once by default). */
  nak(delayMs?: number): void;
  /** Terminates the job: never delivered again. */
  term(reason: string): void;
}

/** A Delivery over the gateway lease `granted`. */
export function gatewayDelivery(client: GatewayClient, granted: GrantedJobV1, ackWaitMs: number, log: Logger): Delivery {
  let lost = false;
  const noted = (what: string) => (err: Error & { code?: string }) => {
    if (err.code === 'LEASE_LOST') lost = true;
    log.warn(`${what} not accepted by the job gateway`, { leaseId: granted.leaseId, err });
  };
  return {
    data: Buffer.from(granted.job, 'base64'),
    deliveryCount: granted.deliveryCount,
    leaseId: granted.leaseId,
    ...(granted.share ? { share: granted.share } : {}),
    ackWaitMs,
    get lost() {
      return lost;
    },
    working: () => void client.progress(granted.leaseId).catch(noted('in-progress signal')),
    ack: () => client.release(granted.leaseId, 'ack'),
    nak: (delayMs) => void client.release(granted.leaseId, 'nak', delayMs ? { delayMs } : {}).catch(noted('nak')),
    term: (reason) => void client.release(granted.leaseId, 'term', { reason: reason.slice(0, 500) }).catch(noted('termination')),
  };
}
