import { fromPublic, fromSeed, Prefix, type KeyPair } from '@nats-io/nkeys';
// The codec is not re-exported by the package's entry point (the package has no exports map, so its file is reachable).
import { Codec } from '@nats-io/nkeys/lib/codec.js';

/**
 * The NATS user key pair of an Ed25519 identity seed (32 bytes, hex): a worker connects to NATS with
 * the same key that signs its results and its membership entry.
 */
export function userKeyFromEd25519Seed(seedHex: string): KeyPair {
  return fromSeed(Codec.encodeSeed(Prefix.User, Buffer.from(seedHex, 'hex')));
}

/** The NATS user public key (`U...`) of an Ed25519 public key (raw 32 bytes, hex). */
export function userPublicKeyOf(ed25519Hex: string): string {
  return fromPublic(new TextDecoder().decode(Codec.encode(Prefix.User, Buffer.from(ed25519Hex, 'hex')))).getPublicKey();
}

/** The Ed25519 public key (hex) of a NATS user public key (`U...`). */
export function ed25519OfUserPublicKey(userPub: string): string {
  return Buffer.from(Codec.decode(Prefix.User, new TextEncoder().encode(userPub))).toString('hex');
}
