import { Command, InvalidArgumentError } from 'commander';
import { parsePort, untilSignal } from '../run-until-signal.ts';

/** `drex-swarm devnet --workers N`: a whole swarm on this machine, in the foreground. */
export function devnetCommand(): Command {
  return new Command('devnet')
    .description('start NATS (its own, secured with generated credentials, unless --nats) and Redis (if none is reachable), the orchestrator, the aggregator and N workers, restarting any that dies (pid files under <dir>/pids); mint genesis notes')
    .option('--workers <n>', 'Node workers (0: only browser pages opened at the printed workerPage prove)', Number, 2)
    .option('--threads <n>', 'proving threads per worker', Number, 1)
    .option('--transfers-per-proof <k>', 'k of the circuit: transfers per proof (the embedded ledger is deployed for it; the first run of a k builds its keys)', Number, 1)
    .option('--proving-mode <mode>', 'split (two workers of two operators per proof; needs 2+ workers) or whole (one sealed job per transfer; the workers are trusted nodes)', 'split')
    .option('--nats <url>', "use this secured NATS server (with --nats-security); default: start devnet's own with generated credentials")
    .option('--nats-security <dir>', 'credentials of the --nats server: creds/<role>.creds (orchestrator, aggregator, admin, worker) and admission/')
    .option('--redis <url>', 'use this Redis (default: 127.0.0.1:6379 if reachable, else start one)')
    .option('--grpc-port <port>', 'orchestrator gRPC port (0 = any free port)', parsePort, 50051)
    .option('--http-port <port>', 'orchestrator HTTP port (0 = any free port)', parsePort, 9464)
    .option('--dir <path>', 'devnet state folder (worker keys, logs, service data)')
    .option('--no-genesis', 'do not mint the genesis notes')
    .option('--ledger <kind>', 'embedded (an in-process EVM, deployed at start) or none (batches end at VERIFIED)', 'embedded')
    .option('--rpc <url>', 'settle on this JSON-RPC ledger instead (e.g. Besu); needs --settlement and --settler-key')
    .option('--settlement <address>', 'DrexSettlement address on --rpc')
    .option('--settler-key <hex>', 'settler private key for --rpc')
    .action(async (o: { workers: number; provingMode: 'split' | 'whole'; threads: number; transfersPerProof: number; nats?: string; natsSecurity?: string; redis?: string; grpcPort: number; httpPort: number; dir?: string; genesis: boolean; ledger: string; rpc?: string; settlement?: string; settlerKey?: string }) => {
      if (o.ledger !== 'embedded' && o.ledger !== 'none') throw new InvalidArgumentError('--ledger is embedded or none');
      if (o.rpc && (!o.settlement || !o.settlerKey)) throw new InvalidArgumentError('--rpc needs --settlement and --settler-key');
      const ledger = o.rpc ? { rpc: o.rpc, settlement: o.settlement!, settlerKey: o.settlerKey!, gasPrice: '0' } : (o.ledger as 'embedded' | 'none');
      // Loaded here: the embedded EVM and the Solidity compiler are not for the other commands' start-up.
      const { startDevnet } = await import('../devnet/devnet.ts');
      const net = await startDevnet({ ...o, ledger, log: (m) => process.stderr.write(`[devnet] ${m}\n`) });
      process.stdout.write(`${JSON.stringify({ deployment: net.deployment, ...net.endpoints, ...(net.contracts ? { contracts: net.contracts } : {}), ...(net.portal ? { portal: net.portal.url, regulatorTokenFile: net.portal.tokenFile } : {}), creds: net.creds, pids: net.pids, pidFiles: net.pidFiles, dir: net.dir })}\n`);
      void net.genesis.then(
        (g) => g && process.stderr.write(`[devnet] genesis batch ${g.batchId}: ${g.state}\n`),
        (err: Error) => process.stderr.write(`[devnet] genesis failed: ${err.message}\n`),
      );
      const sig = await untilSignal();
      process.stderr.write(`[devnet] ${sig}: stopping\n`);
      await net.stop();
    });
}
