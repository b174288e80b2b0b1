import { describe, expect, it } from 'vitest';
import { documentBytes } from './document-input.ts';
import { DSTACK, nitroFixture } from './fixtures/nitro-fixtures.ts';

describe('documentBytes', () => {
  const raw = nitroFixture(DSTACK.file);
  it('takes raw CBOR as it is and decodes base64 (wrapped, URL-safe) to the same bytes', () => {
    expect(Buffer.from(documentBytes(raw)).equals(raw)).toBe(true);
    const b64 = raw.toString('base64');
    expect(Buffer.from(documentBytes(Buffer.from(`${b64.replace(/.{76}/g, '$&\n')}\n`))).equals(raw)).toBe(true);
    expect(Buffer.from(documentBytes(Buffer.from(raw.toString('base64url')))).equals(raw)).toBe(true);
  });
  it('leaves anything else unchanged', () => {
    const text = Buffer.from('not a document!');
    expect(documentBytes(text)).toBe(text);
  });
});
