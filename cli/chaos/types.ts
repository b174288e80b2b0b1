/** Options of one chaos run (see run-chaos.ts). */
export interface ChaosOptions {
  /** Seeds the PRNG that picks intents, fault targets and fault times. */
  seed: number;
  /** Batches submitted (default 3). */
  batches?: number;
  /** Transfers over all batches (default 64). */
  transfers?: number;
  /** Faults injected, at least (default 20). */
  faults?: number;
  /** Node workers (default 2). */
  workers?: number;
  /** k of the devnet's circuit: transfers per proof (default DEFAULT_CIRCUIT's, DREX_CIRCUIT or 1). */
  transfersPerProof?: number;
  /**
   * The longest wait for every batch to be final after the faults (default 40 min): proving time
   * depends on the machine, so a run ends early only when it stalls (see `stallMs`).
   */
  timeoutMs?: number;
  /** A batch is stuck when no batch moved (state, or proofs verified) for this long (default 5 min). */
  stallMs?: number;
  /** Spacing of faults, drawn uniformly in [min, max] ms (default 1500..5000). */
  faultSpacingMs?: { min: number; max: number };
  /** Run folder (default a fresh temporary one); kept when the run fails. */
  dir?: string;
  /** Progress lines (also written to `<dir>/logs/chaos.log`). */
  log?: (line: string) => void;
}

/** A process of the devnet that faults target (its pid-file name). */
export type FaultTarget = 'orchestrator' | 'aggregator' | 'nats' | 'redis' | `worker-${number}`;

/** One injected fault. */
export interface FaultRecord {
  /** Milliseconds since the run started. */
  atMs: number;
  target: FaultTarget;
  signal: 'SIGKILL' | 'SIGTERM';
  pid: number;
  /** The batches' states when it hit (as the run last saw them). */
  batches?: string;
  /** The replacement's pid, once the supervisor restarted it (absent when it did not in time). */
  restartedPid?: number;
  /** Milliseconds from the signal to the replacement being ready. */
  restartMs?: number;
}

/** What became of one submitted batch. */
export interface BatchOutcome {
  batchId: string;
  idempotencyKey: string;
  transfers: number;
  /** Last state the orchestrator reported (UNKNOWN when it never answered). */
  state: string;
  rootAfter: string;
  /** Transfers in this batch id's BatchSettled record on chain (0 when not settled on chain). */
  settledOnChain: number;
  /** SETTLED events in its status stream. */
  settledEvents: number;
  /** Submission attempts until accepted. */
  submitAttempts: number;
}

/** The result of a chaos run. */
export interface ChaosReport {
  seed: number;
  /** Faults injected. */
  faults: number;
  /** Transfers submitted. */
  transfers: number;
  /** Submitted intents whose intent nullifier is used on chain. */
  settled: number;
  /** Submitted transfers not settled. */
  lost: number;
  /** Transfers applied more than once. */
  duplicates: number;
  /** Batches not final (SETTLED or FAILED) at the end. */
  stuck: number;
  /** The chain's current root equals the planner's final root. */
  final_root_matches: boolean;
  durationMs: number;
  dir: string;
  /** lost = duplicates = stuck = 0 and the roots match. */
  ok: boolean;
  faultLog: FaultRecord[];
  batches: BatchOutcome[];
}
