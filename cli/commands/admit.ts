import { Command, InvalidArgumentError } from 'commander';
import { Redis } from 'ioredis';
import { operatorName } from '../../protocol/messages/admission.ts';
import { checkDeployment } from '../../protocol/subjects.ts';
import { AdmissionStore } from '../../orchestrator/admission/admission-store.ts';

interface AdmitFlags {
  redis: string;
  deployment: string;
  redisPrefix?: string;
}

const workerKey = (v: string): string => {
  if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError('a worker key is its Ed25519 public key: 64 lowercase hex digits');
  return v;
};
const operator = (v: string): string => {
  const r = operatorName.safeParse(v);
  if (!r.success) throw new InvalidArgumentError(`operator ${r.error.issues[0]?.message}`);
  return v;
};

async function withStore<T>(flags: AdmitFlags, fn: (store: AdmissionStore) => Promise<T>): Promise<T> {
  const deployment = checkDeployment(flags.deployment);
  const redis = new Redis(flags.redis, { maxRetriesPerRequest: 2, lazyConnect: true });
  try {
    await redis.connect();
    return await fn(new AdmissionStore(redis, flags.redisPrefix ?? `drex:${deployment}:`));
  } finally {
    redis.disconnect();
  }
}

const common = (c: Command) =>
  c
    .option('--redis <url>', 'Redis of the orchestrators', 'redis://127.0.0.1:6379')
    .option('--deployment <id>', 'the deployment', 'dev')
    .option('--redis-prefix <prefix>', 'Redis key prefix (default drex:<deployment>:)');

/**
 * `drex-swarm admit`: operators manage which worker keys the admission service admits. `allow KEY
 * --operator OP` lists a key (and lifts its revocation); `revoke KEY` refuses it from now on and the
 * orchestrators close its NATS connections within a second or two; `list` prints every known key.
 * Each prints one JSON line.
 */
export function admitCommand(): Command {
  const admit = new Command('admit').description('manage worker admission: allow, revoke and list worker keys');
  admit.addCommand(
    common(new Command('allow'))
      .description('allow a worker key for an operator (allowlist admission)')
      .argument('<key>', "the worker's Ed25519 public key (hex; `workerId` in its log)", workerKey)
      .requiredOption('--operator <name>', 'who runs the worker', operator)
      .action(async (key: string, o: AdmitFlags & { operator: string }) => {
        await withStore(o, (s) => s.allow(key, o.operator));
        process.stdout.write(`${JSON.stringify({ allowed: key, operator: o.operator })}\n`);
      }),
  );
  admit.addCommand(
    common(new Command('revoke'))
      .description('revoke a worker key: refused from now on, its open NATS connections closed')
      .argument('<key>', "the worker's Ed25519 public key (hex)", workerKey)
      .action(async (key: string, o: AdmitFlags) => {
        const at = Math.floor(Date.now() / 1000);
        await withStore(o, (s) => s.revoke(key, at));
        process.stdout.write(`${JSON.stringify({ revoked: key, at })}\n`);
      }),
  );
  admit.addCommand(
    common(new Command('list'))
      .description('list allowed, admitted and revoked worker keys')
      .action(async (o: AdmitFlags) => {
        process.stdout.write(`${JSON.stringify({ workers: await withStore(o, (s) => s.list()) })}\n`);
      }),
  );
  return admit;
}
