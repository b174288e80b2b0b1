import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { attestReplyV1, attestRequestV1, type AttestReplyV1 } from '../../protocol/messages/attest.ts';
import type { NatsNames } from '../../protocol/subjects.ts';
import type { Logger } from '../../swarm/log/logger.ts';

/** What produces this worker's attestation documents: an enclave's NSM, or a dev enclave. */
export interface Attester {
  /** A fresh document binding `publicKey` (the worker's seal key) and the verifier's `nonce`. */
  attest(r: { publicKey: Uint8Array; nonce: Uint8Array }): Promise<Uint8Array>;
}

/**
 * Answers attestation requests on the worker's own subject (only aggregators may send them): each
 * answer is a fresh document binding the worker's seal public key and the request's nonce, so the
 * verifier knows the key that whole jobs are sealed to lives in the measured enclave, now.
 */
export async function serveAttestation(o: { nc: NatsConnection; names: NatsNames; workerId: string; sealPublicKeyHex: string; attester: Attester; log: Logger }): Promise<{ stop(): Promise<void> }> {
  const publicKey = Buffer.from(o.sealPublicKeyHex, 'hex');
  const sub: Subscription = o.nc.subscribe(o.names.attestRequest(o.workerId), {
    callback: (err, msg) => {
      if (err) return void o.log.warn('attestation subscription failed', { error: err });
      void (async () => {
        let reply: AttestReplyV1;
        try {
          const req = attestRequestV1.parse(JSON.parse(new TextDecoder().decode(msg.data)));
          const doc = await o.attester.attest({ publicKey, nonce: Buffer.from(req.nonce, 'hex') });
          reply = { v: 1, ok: true, document: Buffer.from(doc).toString('base64') };
        } catch (e) {
          o.log.warn('attestation request not answered with a document', { error: e });
          reply = { v: 1, ok: false, message: `no document: ${(e as Error).message}`.slice(0, 500) };
        }
        try {
          msg.respond(JSON.stringify(attestReplyV1.parse(reply)));
        } catch (e) {
          o.log.warn('attestation reply not sent', { error: e });
        }
      })();
    },
  });
  await o.nc.flush();
  return { stop: async () => void (await sub.drain().catch(() => sub.unsubscribe())) };
}
