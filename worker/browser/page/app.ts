/**
 * The browser worker page: keeps its key in IndexedDB, measures WASM against WebGPU, gets admitted by
 * the orchestrator it was served by, connects to NATS over WebSocket with the admitted credential and
 * runs the shared worker runtime, its MSMs in Web Workers. It takes half jobs only (a browser is
 * untrusted: whole jobs never reach it) and shows what it does.
 */
import { wsconnect, type NatsConnection } from '@nats-io/nats-core';
import { DrexError } from '../../../protocol/errors.ts';
import { admitWorker, type AdmittedCredentials } from '../../runtime/admission-client.ts';
import type { JobProver } from '../../runtime/job-runner.ts';
import { startWorkerRuntime, type WorkerRuntime } from '../../runtime/worker-runtime.ts';
import { loadOrCreateBrowserWorker, saveOperator } from './browser-identity.ts';
import { startMsmThreads, type MsmThreads } from './msm-threads.ts';
import { ownerChoices, workerPageConfig } from './page-config.ts';
import { pageLogger } from './page-log.ts';
import { createPageMetrics } from './page-metrics.ts';
import { appendActivity, showCounts, showFacts, showState, type CurrentJob } from './worker-view.ts';

/** A whole job reached a browser worker: it never proves one (its inputs would be in the clear here). */
class WholeJobRefusedError extends DrexError {
  override name = 'WholeJobRefusedError';
  readonly code = 'WHOLE_JOB_REFUSED';
}
/** The page cannot start: its address or the server's configuration is not usable. */
class WorkerPageError extends DrexError {
  override name = 'WorkerPageError';
  readonly code = 'WORKER_PAGE_INVALID';
}
const noWholeJobs: JobProver = {
  prove: async () => {
    throw new WholeJobRefusedError('a browser worker takes half jobs only');
  },
};

const current = new Map<string, CurrentJob>();
const log = pageLogger((line) => {
  const f = line.fields;
  if (typeof f.jobId === 'string') {
    if (line.msg === 'half job started') current.set(f.jobId, { label: `${String(f.batchId)} #${String(f.index)} half ${String(f.half)}`, sinceMs: line.ts });
    else if (/answered|terminated|nak|not published|lease lost/.test(line.msg)) current.delete(f.jobId);
  }
  appendActivity(line);
});
const { metrics, counts } = createPageMetrics();

async function main(): Promise<void> {
  showState('starting');
  const choices = ownerChoices(location.search, navigator.hardwareConcurrency || 2);
  if ('error' in choices) throw new WorkerPageError(`bad page address: ${choices.error}`);
  const res = await fetch('/worker/config.json', { cache: 'no-store' });
  const parsed = workerPageConfig.safeParse(await res.json().catch(() => null));
  if (!res.ok || !parsed.success) throw new WorkerPageError(`the server's worker configuration is missing or invalid (HTTP ${res.status})`);
  const config = parsed.data;
  const kept = await loadOrCreateBrowserWorker();
  const operator = choices.operator ?? kept.operator ?? `browser-${kept.identity.id.slice(0, 12)}`;
  if (operator !== kept.operator) await saveOperator(operator);
  const { identity, seedHex } = kept;
  showFacts({ 'worker-id': identity.id, operator, deployment: config.deployment });
  log.info(kept.created ? 'new worker key kept in this browser' : 'worker key found in this browser', { workerId: identity.id.slice(0, 16) });

  showState('measuring', 'WASM against WebGPU');
  const threads: MsmThreads = await startMsmThreads({ scriptUrl: '/worker/msm-thread.js', threads: choices.threads, ...(choices.backend === 'auto' ? {} : { force: choices.backend }) });
  const c = threads.choice;
  showFacts({
    backend: c.backend === 'webgpu' ? `WebGPU${threads.adapter ? ` (${threads.adapter})` : ''}` : 'WASM',
    'backend-reason': c.wasmMs === undefined ? c.reason : `${c.reason} · 2^${Math.log2(c.points)} points: WASM ${Math.round(c.wasmMs)} ms${c.webgpuMs === undefined ? '' : `, WebGPU ${Math.round(c.webgpuMs)} ms`}`,
    threads: String(threads.threads),
  });
  log.info('MSM backend chosen', { backend: c.backend, reason: c.reason, ...(c.wasmMs === undefined ? {} : { wasmMs: Math.round(c.wasmMs) }), ...(c.webgpuMs === undefined ? {} : { webgpuMs: Math.round(c.webgpuMs) }) });

  showState('admitting');
  let admitted: AdmittedCredentials | undefined;
  let nc: NatsConnection | undefined;
  let runtime: WorkerRuntime | undefined;
  try {
    admitted = await admitWorker({ url: location.origin, deployment: config.deployment, operator, identity, seedHex, log });
    showState('connecting', config.natsWsUrl);
    nc = await wsconnect({ servers: config.natsWsUrl, name: `drex-browser-${identity.id.slice(0, 16)}`, maxReconnectAttempts: -1, ...admitted.connectOptions });
    runtime = await startWorkerRuntime({
      nc,
      identity,
      prover: noWholeJobs,
      halfProver: threads,
      capabilities: { runtime: 'browser', threads: threads.threads, gpu: c.backend === 'webgpu', tee: false, msmBackend: c.backend, operator },
      concurrency: threads.threads,
      metrics,
      log,
      deployment: config.deployment,
      topologyTimeoutMs: 60_000,
    });
  } catch (err) {
    admitted?.stop();
    threads.close();
    await nc?.close().catch(() => {});
    throw err;
  }
  showState('working');
  const rt = runtime;
  const conn = nc;
  const stop = async () => {
    if (document.body.dataset.state !== 'working') return;
    showState('stopping', 'finishing the job in hand');
    await rt.stop();
    admitted?.stop();
    threads.close();
    await conn.drain().catch(() => {});
    showState('stopped');
  };
  document.getElementById('stop')?.addEventListener('click', () => void stop());
  addEventListener('pagehide', () => void stop());
  void conn.closed().then((err) => {
    if (document.body.dataset.state === 'working') {
      showState('failed', `NATS connection closed${err ? `: ${err.message}` : ''}`);
      threads.close();
    }
  });
}

setInterval(() => showCounts(counts, current), 500);
main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  log.error('the worker stopped', { err: { message: e.message, code: e.code } });
  showState('failed', `${e.code ? `${e.code}: ` : ''}${e.message}`);
});
