import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as snarkjs from 'snarkjs';
import { buildBn128 } from 'ffjavascript';
import { cacheDir } from './cache-dir.ts';
import { withFileLock } from './file-lock.ts';
import { timedStep, type Progress } from './progress.ts';

/** Raised when an external powers-of-tau file cannot be used. */
export class PtauError extends Error {
  readonly code = 'PTAU_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'PtauError';
  }
}

export interface PtauSource {
  path: string;
  /** `external` when the operator supplied the file (DREX_PTAU or --ptau), `dev` for the local dev ceremony. */
  kind: 'external' | 'dev';
}

/**
 * Returns a phase-2-ready powers-of-tau file for at least 2^power constraints.
 * An external file (argument or `DREX_PTAU`) wins; otherwise a dev ceremony is run once and cached
 * under `~/.cache/drex-swarm/ptau/`. The dev ceremony has a single local contributor and is NOT a
 * production trusted setup.
 */
export async function ensurePtau(power: number, progress: Progress, external = process.env.DREX_PTAU): Promise<PtauSource> {
  if (external) {
    if (!existsSync(external) || !statSync(external).isFile()) {
      throw new PtauError(`powers-of-tau file not found: ${external} (from --ptau or DREX_PTAU)`);
    }
    return { path: external, kind: 'external' };
  }
  const dir = cacheDir('ptau');
  const final = join(dir, `dev-bn128-p${power}.ptau`);
  if (existsSync(final)) return { path: final, kind: 'dev' };
  await withFileLock(join(dir, `p${power}.lock`), async () => {
    if (existsSync(final)) return;
    const tmp = (s: string) => join(dir, `p${power}.${process.pid}.${s}.tmp`);
    const curve = await buildBn128();
    try {
      await timedStep(progress, `powers of tau: new accumulator 2^${power}`, () =>
        snarkjs.powersOfTau.newAccumulator(curve, power, tmp('0'), progress.logger),
      );
      await timedStep(progress, 'powers of tau: local contribution', () =>
        snarkjs.powersOfTau.contribute(tmp('0'), tmp('1'), 'drex-swarm dev', randomBytes(32).toString('hex'), progress.logger),
      );
      await timedStep(progress, `powers of tau: prepare phase 2 (the slow step, minutes at 2^${power})`, () =>
        snarkjs.powersOfTau.preparePhase2(tmp('1'), tmp('2'), progress.logger),
      );
      renameSync(tmp('2'), final);
    } finally {
      for (const s of ['0', '1', '2']) rmSync(tmp(s), { force: true });
      await curve.terminate();
    }
  }, () => progress.step('waiting for another process building the same powers of tau'));
  return { path: final, kind: 'dev' };
}
