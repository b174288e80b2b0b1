import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';

/**
 * The one HPKE cipher suite (RFC 9180) that seals shares: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM, all on WebCrypto. Keys and boxes of this module are only valid under this suite.
 */
export const SEAL_SUITE = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

/** Bytes of an X25519 public key, of the encapsulated key, and of a key file's secret. */
export const X25519_KEY_BYTES = 32;
