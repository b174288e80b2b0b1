import { readFileSync } from 'node:fs';
import { DrexError } from '../../protocol/errors.ts';

/** A secret file could not be read or holds nothing. */
export class SecretFileError extends DrexError {
  override name = 'SecretFileError';
  readonly code = 'SECRET_FILE';
}

/** Where a secret came from: a file, the environment, or the command line (allowed with --dev only). */
export type SecretOrigin = 'file' | 'env' | 'argv';

/**
 * A secret from the first source that has it: `file` (its content, trimmed), the environment variable
 * `env`, then the command-line value `argv`. Undefined when none has it.
 */
export function readSecret(s: { file?: string; env: string; argv?: string }): { value: string; origin: SecretOrigin } | undefined {
  if (s.file) {
    let value: string;
    try {
      value = readFileSync(s.file, 'utf8').trim();
    } catch (err) {
      throw new SecretFileError(`cannot read secret file ${s.file}: ${(err as Error).message}`, { cause: err });
    }
    if (!value) throw new SecretFileError(`secret file ${s.file} is empty`);
    return { value, origin: 'file' };
  }
  const fromEnv = process.env[s.env];
  if (fromEnv) return { value: fromEnv.trim(), origin: 'env' };
  if (s.argv) return { value: s.argv, origin: 'argv' };
  return undefined;
}
