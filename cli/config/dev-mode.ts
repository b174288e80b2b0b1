import { DrexError } from '../../protocol/errors.ts';

/**
 * A production command was started with development defaults, dev keys or secrets on the command line,
 * without `--dev`. The message names every missing or refused piece of configuration.
 */
export class DevModeRequiredError extends DrexError {
  override name = 'DevModeRequiredError';
  readonly code = 'DEV_MODE_REQUIRED';

  constructor(
    readonly command: string,
    readonly problems: readonly string[],
  ) {
    super(`${command} refuses to start without configuration (or --dev for a development run):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Collects what a command lacks for a production start. `check()` throws one DevModeRequiredError
 * naming all of it unless `dev` is set (then development defaults and dev keys are allowed).
 */
export class DevModeGuard {
  private readonly problems: string[] = [];

  constructor(
    private readonly command: string,
    private readonly dev: boolean,
  ) {}

  /** Notes a problem when `bad` holds. */
  refuse(bad: boolean, problem: string): this {
    if (bad) this.problems.push(problem);
    return this;
  }

  check(): void {
    if (!this.dev && this.problems.length > 0) throw new DevModeRequiredError(this.command, this.problems);
  }
}
