import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { parseCreds } from '@nats-io/jwt';
import { readFileSync } from 'node:fs';
import { DrexError } from '../../protocol/errors.ts';
import { inboxPrefixOf } from './role-permissions.ts';

/** A credentials file that cannot be read or parsed. */
export class NatsCredentialsError extends DrexError {
  override name = 'NatsCredentialsError';
  readonly code = 'NATS_CREDENTIALS_INVALID';
}

/**
 * Connection options that authenticate with a NATS `.creds` file and put this user's replies under its
 * own inbox prefix (the only subjects it may subscribe to besides its role's).
 */
export async function credsConnectOptions(credsFile: string): Promise<Pick<ConnectionOptions, 'authenticator' | 'inboxPrefix'>> {
  let bytes: Uint8Array;
  let userKey: string;
  try {
    bytes = readFileSync(credsFile);
    userKey = (await parseCreds(bytes)).uc.sub;
  } catch (err) {
    throw new NatsCredentialsError(`cannot use NATS credentials ${credsFile}: ${(err as Error).message}`, { cause: err });
  }
  // Read each time: a renewed file is picked up at the next reconnect.
  return { authenticator: credsAuthenticator(() => readFileSync(credsFile)), inboxPrefix: inboxPrefixOf(userKey) };
}
