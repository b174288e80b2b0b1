import { InvalidArgumentError, type Command } from 'commander';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { loadOrCreateIdentity } from '../../swarm/identity/ed25519.ts';
import { BankClient } from './bank-client.ts';

/** The flags every bank command shares: where the orchestrator is and who the bank is. */
export interface BankFlags {
  grpc: string;
  bank: string;
  key?: string;
  ca?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** Adds the bank connection flags to `cmd`. */
export function withBankOptions(cmd: Command): Command {
  return cmd
    .option('--grpc <address>', 'orchestrator gRPC address', '127.0.0.1:50051')
    .option('--bank <id>', 'bank id', 'bank-a')
    .option('--key <file>', "bank's Ed25519 key file ({\"type\":\"ed25519\",\"seed\"}); default: the dev bank's key")
    .option('--ca <pem>', "TLS: the CA that signed the orchestrator's certificate (without it the connection is plaintext)")
    .option('--tls-cert <pem>', 'mTLS: this bank\'s client certificate (with --ca and --tls-key)')
    .option('--tls-key <pem>', 'mTLS: its private key');
}

/** A client of the orchestrator for the bank the flags name. */
export function bankClientOf(o: BankFlags): BankClient {
  if ((o.tlsCert || o.tlsKey) && !o.ca) throw new InvalidArgumentError('--tls-cert and --tls-key need --ca');
  const identity = o.key ? loadOrCreateIdentity(o.key) : devBankIdentity(o.bank);
  const tls = o.ca ? { ca: o.ca, cert: o.tlsCert, key: o.tlsKey } : undefined;
  return new BankClient({ address: o.grpc, bankId: o.bank, identity, tls });
}
