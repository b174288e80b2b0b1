/**
 * The base of every drex-swarm error: a stable machine-readable `code`, a message a person can act on,
 * the underlying `cause` (when there is one), and whether retrying the same operation can help.
 * Subclasses name themselves and fix their code; transient ones set `retryable`.
 */
export abstract class DrexError extends Error {
  abstract readonly code: string;
  /** True when the same operation may succeed later (an unreachable service, a timeout). */
  readonly retryable: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
