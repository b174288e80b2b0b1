import { homedir } from 'node:os';
import type { MsmBackendOption } from '../../worker/node/msm-backend-choice.ts';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { operatorName } from '../../protocol/messages/admission.ts';
import { startNodeWorker } from '../../worker/node/node-worker.ts';
import { WORKER_FAULTS, type WorkerFault } from '../../worker/runtime/worker-fault.ts';
import { createLogger } from '../../swarm/log/logger.ts';

const DEFAULT_KEY = join(homedir(), '.config', 'drex-swarm', 'worker-key.json');

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer in ${min}..${max}`);
    return n;
  };
}

function operatorOption(v: string): string {
  const parsed = operatorName.safeParse(v);
  if (!parsed.success) throw new InvalidArgumentError(`operator ${parsed.error.issues[0]?.message ?? 'is not valid'}`);
  return parsed.data;
}

function msmBackendOption(v: string): MsmBackendOption {
  if (v !== 'auto' && v !== 'wasm' && v !== 'webgpu') throw new InvalidArgumentError('--msm-backend is auto, wasm or webgpu');
  return v;
}

function faultOption(v: string): WorkerFault {
  if (!(WORKER_FAULTS as readonly string[]).includes(v)) throw new InvalidArgumentError(`fault must be one of ${WORKER_FAULTS.join(', ')}`);
  return v as WorkerFault;
}

/** `drex-swarm worker --nats URL`: run one Node proving worker until SIGTERM/SIGINT (graceful drain). */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run a Node proving worker: take jobs through the job gateway (served by the aggregator), prove in a thread pool, publish signed results')
    .requiredOption('--nats <url>', 'NATS server URL, e.g. nats://127.0.0.1:4222')
    .option('--deployment <id>', 'whose streams, subjects and buckets : one id per deployment, e.g. c<chainId>-<settlement address prefix>', 'dev')
    .option('--key <file>', 'Ed25519 identity file (created when missing)', DEFAULT_KEY)
    .option('--admission <url>', "the orchestrator's HTTP URL: obtain (and renew) NATS credentials bound to the worker key")
    .option('--operator <name>', 'who runs this worker: the admission allowlist or quota it counts against, declared in its membership entry (the two halves of a proof never go to two workers of one operator)', operatorOption)
    .option('--nats-creds <file>', 'NATS .creds file (instead of --admission)', process.env.DREX_NATS_CREDS)
    .option('--dev', 'development run: allow a NATS server without credentials (neither --admission nor --nats-creds)')
    .option('--threads <n>', 'prover threads (one proof per thread at a time)', intOption('threads', 1, 1024), 1)
    .option('--metrics-port <port>', 'serve Prometheus metrics on http://0.0.0.0:PORT/metrics', intOption('metrics port', 0, 65535))
    .option('--heartbeat-ms <ms>', 'membership heartbeat interval', intOption('heartbeat', 200, 300_000), 5_000)
    .option('--drain-timeout-ms <ms>', 'on SIGTERM, how long jobs in hand may finish before they are handed back', intOption('drain timeout', 0, 3_600_000), 30_000)
    .option('--msm-backend <backend>', 'where half jobs\' MSMs run: auto (WebGPU where a GPU measures faster than WASM on all cores), wasm or webgpu', msmBackendOption, 'auto')
    .option('--tee-dev <dir>', 'run as a TEE worker on a dev enclave (no hardware TEE: for development) whose root is in DIR (created when missing); the deployment trusts it with --attestation-root DIR/dev-root.pem')
    .option('--tee-dev-valid-for-ms <ms>', "for testing: the dev enclave's certificate ends this long after start (its attestation lapses then)", intOption('validity', 1_000, 365 * 24 * 3_600_000))
    .option('--no-benchmark', 'skip measuring one real half at start (its rate is the score the worker declares until real jobs give one)')
    .option('--fault <mode>', 'for testing: wrong-point (answer every half with a valid curve point, signed, only its value wrong) or stall (hold every half, signalling progress, never answer)', faultOption)
    .action(async (opts: { nats: string; key: string; threads: number; msmBackend: MsmBackendOption; metricsPort?: number; heartbeatMs: number; drainTimeoutMs: number; benchmark: boolean; teeDev?: string; teeDevValidForMs?: number; deployment: string; admission?: string; operator?: string; natsCreds?: string; dev?: boolean; fault?: WorkerFault }) => {
      const log = createLogger('worker');
      if (opts.admission && !opts.operator) throw new InvalidArgumentError('--admission needs --operator NAME');
      if (!opts.admission && !opts.natsCreds && !opts.dev) {
        throw new InvalidArgumentError('NATS credentials are missing: --admission URL --operator NAME (credentials from the orchestrator) or --nats-creds FILE; --dev allows an open NATS server');
      }
      const natsAuth = opts.admission ? { admissionUrl: opts.admission, operator: opts.operator! } : opts.natsCreds ? { credsFile: resolve(opts.natsCreds) } : undefined;
      const abort = new AbortController();
      let stopRequested: (signal: string) => void = () => undefined;
      const stopped = new Promise<string>((r) => (stopRequested = r));
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals > 1) {
          log.warn('second signal: exiting without draining', { signal });
          process.exit(1);
        }
        log.info('signal received: draining', { signal });
        abort.abort();
        stopRequested(signal);
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        let worker;
        try {
          worker = await startNodeWorker({
            natsUrl: opts.nats,
            deployment: opts.deployment,
            keyFile: resolve(opts.key),
            natsAuth,
            threads: opts.threads,
            msmBackend: opts.msmBackend,
            metricsPort: opts.metricsPort,
            heartbeatMs: opts.heartbeatMs,
            drainTimeoutMs: opts.drainTimeoutMs,
            benchmark: opts.benchmark,
            ...(opts.teeDev ? { teeDev: { dir: resolve(opts.teeDev), ...(opts.teeDevValidForMs ? { validUntil: new Date(Date.now() + opts.teeDevValidForMs) } : {}) } } : {}),
            ...(opts.operator ? { operator: opts.operator } : {}),
            ...(opts.fault ? { fault: opts.fault } : {}),
            signal: abort.signal,
            log,
          });
        } catch (err) {
          if (abort.signal.aborted) return; // stopped while starting: nothing in hand
          throw err;
        }
        process.stdout.write(`${JSON.stringify({ workerId: worker.id, threads: opts.threads, metricsPort: worker.metricsPort ?? null })}\n`);
        // A worker whose NATS connection is gone for good (e.g. revoked) exits non-zero.
        let failure: unknown;
        await Promise.race([stopped, worker.failed.catch((err: unknown) => void (failure = err))]);
        await worker.stop();
        if (failure) throw failure;
        process.stdout.write(`${JSON.stringify({ workerId: worker.id, stopped: true, ...worker.stats() })}\n`);
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
      }
    });
}
