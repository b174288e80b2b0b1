import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { AttestationPolicyOptions } from '../../swarm/attestation/attestation-policy.ts';
import { AWS_NITRO_ROOT_PEM } from '../../swarm/attestation/aws-nitro-root.ts';

/** The attestation flags a command takes (see addAttestationOptions). */
export interface AttestationFlags {
  attestationRoot: string[];
  attestationAllowDebug?: boolean;
}

/** An --attestation-root file's PEM; a usage error naming the file when it cannot be read. */
function rootPem(file: string): { name: string; pem: string } {
  try {
    return { name: file, pem: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new InvalidArgumentError(`--attestation-root ${file}: ${(err as Error).message}`);
  }
}

/** Adds the deployment's attestation policy flags to `command`. */
export function addAttestationOptions(command: Command): Command {
  return command
    .option('--attestation-root <pem>', "trust this root certificate (PEM file), besides the AWS Nitro root, for attestation documents (a dev enclave's dev-root.pem); repeatable", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--attestation-allow-debug', 'accept debug-mode attestation documents (PCR0-2 zero), refused by default');
}

/** The policy the flags describe: the AWS Nitro root and the listed roots; debug documents only when allowed. */
export function attestationPolicyOf(o: AttestationFlags): AttestationPolicyOptions {
  return {
    roots: [{ name: 'AWS Nitro Enclaves root G1', pem: AWS_NITRO_ROOT_PEM }, ...o.attestationRoot.map(rootPem)],
    allowDebug: o.attestationAllowDebug ?? false,
  };
}
