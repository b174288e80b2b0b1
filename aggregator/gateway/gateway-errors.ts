import { DrexError } from '../../protocol/errors.ts';
import type { WorkErrorCode } from '../../protocol/messages/work.ts';

/** A gateway request refused: answered with `{ ok: false, code, message }`; nothing changed. */
export class WorkRefusal extends DrexError {
  override name = 'WorkRefusal';
  constructor(
    readonly code: WorkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
