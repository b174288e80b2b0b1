import { readFileSync } from 'node:fs';
import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { loadBankApi, BATCH_SERVICE } from '../../protocol/bank-proto.ts';

/**
 * TLS material (PEM paths): the server certificate and key; with `ca` (the CA that signs bank client
 * certificates) clients must present a certificate (mTLS), without it they authenticate by signature.
 */
export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

/** Serves the bank API (and gRPC health) on `host:port` (0: a free port). */
export async function startGrpcServer(o: { impl: UntypedServiceImplementation; host: string; port: number; tls?: TlsFiles }) {
  const { service } = loadBankApi();
  const server = new Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
  server.addService(service, o.impl);
  const health = new HealthImplementation({ '': 'SERVING', [BATCH_SERVICE]: 'SERVING' });
  health.addToServer(server);
  const creds = o.tls
    ? ServerCredentials.createSsl(o.tls.ca ? readFileSync(o.tls.ca) : null, [{ private_key: readFileSync(o.tls.key), cert_chain: readFileSync(o.tls.cert) }], Boolean(o.tls.ca))
    : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${o.host}:${o.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `${o.host}:${port}`,
    /** Stops taking calls; calls still open after `graceMs` (e.g. WatchBatch streams) are cut. */
    stop: async (graceMs = 5_000): Promise<void> => {
      health.setStatus('', 'NOT_SERVING');
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
