import type { Permissions } from '@nats-io/jwt';
import type { NatsNames } from '../../protocol/subjects.ts';

/** The NATS roles of a deployment. */
export type NatsRole = 'orchestrator' | 'aggregator' | 'worker' | 'admin';

/**
 * The inbox prefix of a NATS user: replies (request/reply, JetStream acks of publishes, pull
 * deliveries) come to subjects under it, and a user may subscribe only under its own prefix, so no
 * client reads another's replies.
 */
export function inboxPrefixOf(userPublicKey: string): string {
  return `_INBOX_${userPublicKey}`;
}

/** Read access to one JetStream object store (ordered consumers over its stream, direct gets). */
function objectStoreReads(bucket: string): string[] {
  const s = `OBJ_${bucket}`;
  return [
    `$JS.API.STREAM.INFO.${s}`,
    `$JS.API.STREAM.MSG.GET.${s}`,
    `$JS.API.DIRECT.GET.${s}.>`,
    `$JS.API.CONSUMER.CREATE.${s}`,
    `$JS.API.CONSUMER.CREATE.${s}.>`,
    `$JS.API.CONSUMER.INFO.${s}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${s}.>`,
    `$JS.API.CONSUMER.DELETE.${s}.>`,
    // Flow-control replies of the ordered consumer that reads an object.
    `$JS.FC.${s}.>`,
  ];
}

/**
 * Least-privilege permissions of a role in one deployment.
 *
 * - `worker`: request jobs from the job gateway and signal its own leases, publish results, announce its own
 *   membership entry, read the artifacts and sealed-shares object stores; subscribe only to its own inbox. No verdicts,
 *   ready or settlement messages, no advisories, no other KV or object-store writes, no stream or
 *   consumer management.
 * - `aggregator`: consume results, ready batches and the provers consumer (the job gateway), read the
 *   jobs and artifacts buckets, hold a membership replica (gossip, anti-entropy, workers' announcements),
 *   offer speculative copies of slow halves, write job leases, split records, held halves and re-sealed
 *   shares, publish verdicts and settlement outcomes.
 * - `orchestrator`: owns the topology (every JetStream API), jobs, ready messages, the jobs bucket and
 *   the artifacts; listens to JetStream advisories; holds a membership replica.
 * - `admin`: subscribes to every subject and may use every JetStream API (audits, tests, operators).
 */
export function rolePermissions(role: NatsRole, names: NatsNames, userPublicKey: string, workerId?: string, operator: string = workerId ?? ''): Permissions {
  const inbox = `${inboxPrefixOf(userPublicKey)}.>`;
  const d = names.deployment;
  switch (role) {
    case 'worker': {
      if (!workerId) throw new TypeError('a worker permission set needs the worker id');
      return {
        pub: {
          allow: [
            names.workTake,
            names.workProgress,
            names.workRelease,
            names.resultSubjects,
            // Its own membership entries only, under the operator it was admitted for: the server is what
            // admits a worker into the membership and binds it to its operator.
            names.membersAnnounce(workerId, operator),
            ...objectStoreReads(names.artifactsBucket),
            // Sealed shares: each opens only with its recipient's key.
            ...objectStoreReads(names.sharesBucket),
          ],
        },
        // A TEE worker answers attestation requests on its own subject.
        sub: { allow: [inbox, names.attestRequest(workerId)] },
        resp: { max: 1, ttl: 0 },
      };
    }
    case 'aggregator':
      return {
        pub: {
          allow: [
            '$JS.API.INFO',
            '$JS.API.STREAM.INFO.>',
            '$JS.API.STREAM.MSG.GET.>',
            '$JS.API.DIRECT.GET.>',
            '$JS.API.CONSUMER.INFO.>',
            '$JS.API.CONSUMER.CREATE.>',
            '$JS.API.CONSUMER.DELETE.>',
            '$JS.API.CONSUMER.MSG.NEXT.>',
            '$JS.ACK.>',
            '$JS.FC.>',
            names.verdictSubjects,
            names.settledSubject,
            `$KV.${names.leasesBucket}.>`,
            // Split proving: the gateway's split records and re-sealed shares, the combiner's halves.
            `$KV.${names.splitsBucket}.>`,
            `$KV.${names.halvesBucket}.>`,
            `$O.${names.sharesBucket}.>`,
            `$JS.API.STREAM.PURGE.OBJ_${names.sharesBucket}`,
            // The gateway's speculative copies of slow halves, and its attestation requests to TEE workers.
            names.halfJobSubject,
            names.attestRequest('*'),
            names.membersDelta,
            names.membersSyncAny,
            names.membersSync('*'),
          ],
        },
        sub: { allow: [inbox, names.workTake, names.workProgress, names.workRelease, names.membersSubjects] },
        // The job gateway answers each worker request on the requester's inbox.
        resp: { max: 1, ttl: 0 },
      };
    case 'orchestrator':
      return {
        pub: { allow: ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>', `drex.${d}.>`, '$KV.>', '$O.>'] },
        sub: { allow: [inbox, '$JS.EVENT.ADVISORY.>', names.membersSubjects] },
        // Its membership replica answers anti-entropy requests and workers' announcements on their inboxes.
        resp: { max: 1, ttl: 0 },
      };
    case 'admin':
      return { pub: { allow: ['>'] }, sub: { allow: ['>'] } };
  }
}
