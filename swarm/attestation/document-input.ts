/** The first byte of a raw document: an untagged COSE_Sign1 (array of 4) or one in tag 18. */
const RAW_FIRST_BYTES = new Set([0x84, 0xd2]);
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The document bytes in `input`: raw CBOR as is, or base64 (standard or URL-safe, whitespace ignored) decoded.
 * Anything else is returned unchanged, so that the verifier's CBOR check says why it is not a document.
 */
export function documentBytes(input: Uint8Array): Uint8Array {
  if (input.length > 0 && RAW_FIRST_BYTES.has(input[0]!)) return input;
  const text = Buffer.from(input).toString('latin1').replace(/\s+/g, '');
  if (text.length > 0 && BASE64.test(text)) return Uint8Array.from(Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  return input;
}
