import { randomBytes } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeMessages } from '../../protocol/consume-messages.ts';
import { batchSettledV1, type BatchSettledV1, type UnsignedBatchSettledV1 } from '../../protocol/messages/settlement.ts';
import { verdictV1, type UnsignedVerdictV1, type VerdictV1 } from '../../protocol/messages/verdict.ts';
import { ensureTopology, type Topology } from '../../protocol/nats-topology.ts';
import { generateIdentity } from '../../swarm/identity/ed25519.ts';
import { signAsProducer, signMessage } from '../../swarm/identity/signed-message.ts';
import { startNatsServer, type TestNatsServer } from '../../test/support/nats-server.ts';
import { testLogger } from '../../test/support/test-logger.ts';
import { createMetrics } from '../metrics.ts';
import { aggregatorSigned } from './aggregator-signed.ts';

let server: TestNatsServer;
let nc: NatsConnection;
let topo: Topology;
const aggregator = generateIdentity().identity;
const stranger = generateIdentity().identity;
const batchId = `0x${randomBytes(32).toString('hex')}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const verdict: UnsignedVerdictV1 = {
  v: 1, accepted: false, jobId: `${batchId}.v1.t0.a1`, batchId, index: 0, planVersion: 1, workerId: 'ab'.repeat(32),
  reason: 'PROOF_INVALID', detail: 'the proof does not verify', verifiedMs: Date.now(),
};
const outcome: UnsignedBatchSettledV1 = { v: 1, ok: false, batchId, planVersion: 1, code: 'PROOF_INVALID', badIndices: [1], reason: 'proofs 1 do not verify' };

/** What the consume loop handled and refused (by reason) of `messages`, published on `subject`. */
async function consumed<T>(stream: string, consumerName: string, subject: string, schema: typeof verdictV1 | typeof batchSettledV1, what: string, messages: unknown[]) {
  const metrics = createMetrics();
  const handled: T[] = [];
  const loop = await consumeMessages(await jetstream(nc).consumers.get(stream, consumerName), {
    schema: schema as never,
    handle: async (m: T) => void handled.push(m),
    log: testLogger('aggregator-signed-test'),
    what,
    ...aggregatorSigned([aggregator.id], metrics, what),
  });
  for (const m of messages) await jetstream(nc).publish(subject, JSON.stringify(m));
  const refusedCount = async () => (await metrics.messagesRefused.get()).values.reduce((n, v) => n + v.value, 0);
  for (let i = 0; i < 100 && handled.length + (await refusedCount()) < messages.length; i++) await sleep(50);
  // Acks and terminations are sent without waiting: give them a moment to remove the messages.
  const stored = async () => (await topo.jsm.streams.info(stream)).state.messages;
  for (let i = 0; i < 40 && (await stored()) > 0; i++) await sleep(50);
  await loop.stop();
  const refused = Object.fromEntries((await metrics.messagesRefused.get()).values.map((v) => [v.labels.reason, v.value]));
  const left = await stored();
  return { handled, refused, left };
}

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  topo = await ensureTopology(nc);
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('the orchestrator acts only on messages signed by a configured aggregator key', () => {
  const forgeries = (unsigned: object) => {
    const good = signAsProducer(aggregator, unsigned);
    return [
      unsigned, // no signer, no signature
      signAsProducer(stranger, unsigned), // signed by a key nobody configured
      signMessage(stranger, { ...unsigned, signer: aggregator.id }), // claims the aggregator, signed by another key
      { ...good, planVersion: 2 }, // the aggregator's signature over other contents
      { ...good, signature: '00'.repeat(64) },
      signAsProducer(aggregator, { ...unsigned, v: 2 }), // signed by the aggregator, but not a v1 message
    ];
  };

  it('handles a verdict the aggregator signed and terminates every other one, counted by reason', async () => {
    const good = signAsProducer(aggregator, verdict);
    const r = await consumed<VerdictV1>(topo.names.verdictsStream, topo.names.stateConsumer, topo.names.verdictSubject(batchId), verdictV1, 'verdict', [...forgeries(verdict), good]);
    expect(r.handled).toEqual([good]);
    expect(r.refused).toEqual({ UNSIGNED: 1, UNKNOWN_SIGNER: 1, BAD_SIGNATURE: 3, MALFORMED: 1 });
    expect(r.left).toBe(0); // terminated or acked: none comes back
  });

  it('handles a settlement outcome the aggregator signed and terminates every other one, counted by reason', async () => {
    const good = signAsProducer(aggregator, outcome);
    const r = await consumed<BatchSettledV1>(topo.names.settledStream, topo.names.settledConsumer, topo.names.settledSubject, batchSettledV1, 'settlement outcome', [...forgeries(outcome), good]);
    expect(r.handled).toEqual([good]);
    expect(r.refused).toEqual({ UNSIGNED: 1, UNKNOWN_SIGNER: 1, BAD_SIGNATURE: 3, MALFORMED: 1 });
    expect(r.left).toBe(0);
  });
});
