import type { Logger } from '../../swarm/log/logger.ts';
import type { Sequencer } from './sequencer.ts';

/**
 * Planning: runs the sequencer over the accepted batches whenever woken (a submission, a timer), one
 * pass at a time; a wake during a pass runs one more pass after it.
 */
export function planningLoop(o: { sequencer: Sequencer; log: Logger; afterPass?: () => Promise<void> }): { wake(): void; idle(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  const wake = () => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await o.sequencer.planPending();
          await o.afterPass?.();
        } catch (err) {
          o.log.error('planning failed; will retry', { error: err });
        }
      } while (again);
      running = undefined;
    })();
  };
  return { wake, idle: async () => void (await running) };
}
