import type { ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type { BankRegistry } from '../banks/bank-registry.ts';

/** A server call of either kind the bank API has. */
export type BankApiCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

/** The common name of a verified mTLS client certificate, if the call came over mTLS. */
export function tlsCommonName(call: BankApiCall): string | undefined {
  try {
    const cert = call.getAuthContext?.().sslPeerCertificate;
    const cn = cert?.subject?.CN;
    return Array.isArray(cn) ? cn[0] : cn;
  } catch {
    return undefined;
  }
}

/** The registered bank whose mTLS common name (by default its id) the call's client certificate carries. */
export function tlsBankOf(banks: BankRegistry, call: BankApiCall): string | undefined {
  const cn = tlsCommonName(call);
  if (!cn) return undefined;
  for (const b of banks.values()) if ((b.tlsCommonName ?? b.id) === cn) return b.id;
  return undefined;
}
