import { describe, expect, it } from 'vitest';
import { generateIdentity, identityFromSeed, verifySignature } from '../../../swarm/identity/ed25519.ts';
import { browserIdentity } from './browser-identity.ts';

describe('browserIdentity', () => {
  it('is the same Ed25519 identity as a Node worker with the same seed: same id, signatures the other side verifies', () => {
    const { seedHex } = generateIdentity();
    const browser = browserIdentity(seedHex);
    const node = identityFromSeed(seedHex);
    expect(browser.id).toBe(node.id);
    const message = new TextEncoder().encode('half result of job 0x01.v1.t0.a1.h0');
    expect(browser.sign(message)).toBe(node.sign(message)); // Ed25519 is deterministic
    expect(verifySignature(node.id, message, browser.sign(message))).toBe(true);
    expect(verifySignature(node.id, new TextEncoder().encode('another message'), browser.sign(message))).toBe(false);
  });
});
