import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DrexError } from '../../protocol/errors.ts';

/** Shortest regulator token accepted: a guessable token would open the portal to anyone. */
export const MIN_TOKEN_LENGTH = 16;

/** A regulator token configuration that cannot be used. */
export class RegulatorTokenError extends DrexError {
  override name = 'RegulatorTokenError';
  readonly code = 'REGULATOR_TOKEN_INVALID';
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * The bearer tokens that open the regulator API and portal. A candidate is compared with every
 * configured token in constant time (SHA-256 digests of equal length, `timingSafeEqual`, no early exit),
 * so neither a token's content nor its length leaks through timing. With no tokens nothing matches.
 */
export class RegulatorTokens {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    for (const t of tokens) {
      if (t.length < MIN_TOKEN_LENGTH) throw new RegulatorTokenError(`a regulator token must have at least ${MIN_TOKEN_LENGTH} characters (one has ${t.length})`);
      if (/\s/.test(t)) throw new RegulatorTokenError('a regulator token must not contain white space');
    }
    this.digests = tokens.map(digest);
  }

  get size(): number {
    return this.digests.length;
  }

  /** Whether `candidate` is one of the tokens. */
  matches(candidate: string | undefined): boolean {
    if (candidate === undefined || candidate.length === 0 || candidate.length > 1024) return false;
    const d = digest(candidate);
    let hit = false;
    for (const t of this.digests) hit = timingSafeEqual(t, d) || hit;
    return hit;
  }
}

/** Tokens from the text of a token file: one per line; blank lines and lines starting with # are skipped. */
export function parseTokenLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}

/** Reads a token file (see `parseTokenLines`); throws `RegulatorTokenError` when it cannot be read or holds none. */
export function readTokenFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RegulatorTokenError(`cannot read regulator token file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const tokens = parseTokenLines(text);
  if (tokens.length === 0) throw new RegulatorTokenError(`regulator token file ${file} holds no token`);
  return tokens;
}
