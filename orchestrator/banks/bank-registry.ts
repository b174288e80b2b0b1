import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { identityFromSeed, type Identity } from '../../swarm/identity/ed25519.ts';

/** A bank allowed to submit batches, identified by its registered Ed25519 key. */
export interface RegisteredBank {
  id: string;
  /** Raw Ed25519 public key, hex. */
  publicKey: string;
  /** Certificate common name accepted for mTLS, when mTLS is used (defaults to the id). */
  tlsCommonName?: string;
}

export type BankRegistry = ReadonlyMap<string, RegisteredBank>;

const registryFile = z.object({
  banks: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/),
        publicKey: z.string().regex(/^[0-9a-f]{64}$/),
        tlsCommonName: z.string().optional(),
      }),
    )
    .min(1),
});

/** Loads a registry file `{ "banks": [{ "id", "publicKey" }] }`. */
export function loadBankRegistry(path: string): BankRegistry {
  const parsed = registryFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new Error(`bank registry ${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return new Map(parsed.data.banks.map((b) => [b.id, b]));
}

/** The dev banks of the demo: two commercial banks and the central bank (which holds the minter). */
export const DEV_BANKS = ['bank-a', 'bank-b', 'central-bank'] as const;

/** A dev bank's signing identity (deterministic: dev keys are public knowledge). */
export function devBankIdentity(bankId: string): Identity {
  return identityFromSeed(createHash('sha256').update(`drex-swarm dev bank:${bankId}`).digest('hex'));
}

/** The registry of the dev banks. */
export function devBankRegistry(): BankRegistry {
  return new Map(DEV_BANKS.map((id) => [id, { id, publicKey: devBankIdentity(id).id }]));
}

/** The ids of registered banks whose key is a dev bank's (public knowledge: never in production). */
export function devKeysIn(registry: BankRegistry): string[] {
  const dev = new Set<string>(DEV_BANKS.map((id) => devBankIdentity(id).id));
  return [...registry.values()].filter((b) => dev.has(b.publicKey)).map((b) => b.id);
}
