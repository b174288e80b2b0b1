import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';

/** Path of the bank API's .proto file. */
export const BANK_PROTO = fileURLToPath(new URL('./proto/drex/swarm/v1/bank.proto', import.meta.url));

/** proto-loader options shared by server and clients: field names as in the .proto, int64 as strings. */
export const PROTO_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true } as const;

/** The loaded BatchService: its definition (for servers) and client constructor. */
export function loadBankApi(): { service: ServiceDefinition; Client: ServiceClientConstructor } {
  const def = loadSync(BANK_PROTO, PROTO_OPTIONS);
  const pkg = loadPackageDefinition(def) as GrpcObject;
  const Client = ((pkg.drex as GrpcObject).swarm as GrpcObject).v1 as GrpcObject;
  const ctor = Client.BatchService as ServiceClientConstructor;
  return { service: ctor.service, Client: ctor };
}

/** The fully qualified service name (for health checks). */
export const BATCH_SERVICE = 'drex.swarm.v1.BatchService';
