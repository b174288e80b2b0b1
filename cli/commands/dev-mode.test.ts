import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCrypto } from '../../circuits/model/crypto.ts';
import { devMinter } from '../../circuits/sample/dev-accounts.ts';
import { devPrivateKey } from '../../ledger-bridge/index.ts';
import { devBankIdentity } from '../../orchestrator/banks/bank-registry.ts';
import { generateIdentity } from '../../swarm/identity/ed25519.ts';
import { startNatsServer, type TestNatsServer } from '../devnet/nats-process.ts';
import { spawnCli } from '../devnet/child-process.ts';
import { connect } from '@nats-io/transport-node';
import { ensureTopology } from '../../protocol/nats-topology.ts';

// The production commands run as a user would run them (the real CLI entry): refused without
// configuration unless --dev, and the aggregator's metrics served.

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'drex-dev-mode-'));

/** Runs the CLI to its end: exit code, stdout, stderr. Nothing it would connect to is running. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'drex-swarm.js'), ...args], { env: { ...process.env, DREX_SETTLER_KEY: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const nowhere = ['--nats', 'nats://127.0.0.1:1', '--redis', 'redis://127.0.0.1:1'];

describe('drex-swarm orchestrator without --dev', () => {
  it('exits non-zero naming the missing bank registry and minter', async () => {
    const r = await cli(['orchestrator', ...nowhere]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[DEV_MODE_REQUIRED]');
    expect(r.stderr).toContain('--banks FILE is missing');
    expect(r.stderr).toContain('--minter OWNER_ID is missing');
    expect(r.stderr).toContain('--nats-creds FILE (or DREX_NATS_CREDS) is missing');
    expect(r.stdout).toBe('');
  });

  it('refuses a registry holding dev bank keys and the dev minter, naming both', async () => {
    const crypto = await loadCrypto();
    const file = join(dir, 'banks.json');
    writeFileSync(file, JSON.stringify({ banks: [{ id: 'bank-x', publicKey: generateIdentity().identity.id }, { id: 'bank-a', publicKey: devBankIdentity('bank-a').id }] }));
    const r = await cli(['orchestrator', ...nowhere, '--banks', file, '--minter', String(devMinter(crypto).owner)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the bank registry holds dev keys (public knowledge) for: bank-a');
    expect(r.stderr).toContain('--minter is the dev minter');
    expect(r.stderr).not.toContain('--banks FILE is missing');
  });
});

describe('drex-swarm aggregator', () => {
  const ledger = ['--rpc', 'http://127.0.0.1:1', '--chain-id', '1337', '--settlement', `0x${'11'.repeat(20)}`];

  it('refuses the settler key on the command line without --dev', async () => {
    const r = await cli(['aggregator', ...nowhere.slice(0, 2), ...ledger, '--settler-key', `0x${'22'.repeat(32)}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[DEV_MODE_REQUIRED]');
    expect(r.stderr).toContain('use --settler-key-file FILE or DREX_SETTLER_KEY');
  });

  it('refuses the embedded chain\'s well-known key from a file or the environment without --dev', async () => {
    const file = join(dir, 'settler.key');
    writeFileSync(file, `${devPrivateKey(0)}\n`);
    const fromFile = await cli(['aggregator', ...nowhere.slice(0, 2), ...ledger, '--settler-key-file', file]);
    expect(fromFile.code).toBe(1);
    expect(fromFile.stderr).toContain('the settler key is a well-known dev key');
    const fromEnv = await cli(['aggregator', ...nowhere.slice(0, 2), ...ledger], { DREX_SETTLER_KEY: devPrivateKey(1) });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain('the settler key is a well-known dev key');
  });

  describe('with a NATS server', () => {
    let nats: TestNatsServer;
    beforeAll(async () => {
      nats = await startNatsServer();
      // The orchestrator creates the topology; the aggregator waits for it.
      const nc = await connect({ servers: nats.url });
      await ensureTopology(nc, { deployment: 'metrics-test' });
      await nc.close();
    });
    afterAll(async () => {
      await nats?.stop();
    });

    it('serves its Prometheus metrics on --http-port', async () => {
      const agg = await spawnCli('aggregator', ['aggregator', '--dev', '--nats', nats.url, '--key', join(dir, 'aggregator.key.json'), '--deployment', 'metrics-test', '--http-port', '0'], { logFile: join(dir, 'aggregator.log') });
      try {
        const http = String(agg.info.http);
        expect(http).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const res = await fetch(`${http}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toContain('text/plain');
        const body = await res.text();
        expect(body).toContain('drex_aggregator_process_cpu_seconds_total');
        expect(body).toContain('# TYPE drex_results_rejected_total counter');
      } finally {
        await agg.stop();
      }
    });
  });
});
