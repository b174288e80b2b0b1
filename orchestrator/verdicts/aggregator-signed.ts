import type { ConsumeOptions } from '../../protocol/consume-messages.ts';
import { signerProblem } from '../../swarm/identity/signed-message.ts';
import type { Metrics } from '../metrics.ts';

/**
 * The consume-loop checks of a message only an aggregator may send (verdicts, settlement outcomes): it
 * must be signed by one of `keys` (the configured aggregators' public keys) over every other field, else
 * it is terminated, logged and counted in `drex_messages_refused_total{what,reason}`, and changes nothing.
 */
export function aggregatorSigned(keys: readonly string[], metrics: Pick<Metrics, 'messagesRefused'>, what: string): Pick<ConsumeOptions<unknown>, 'authenticate' | 'onRefused'> {
  const trusted = new Set(keys);
  return {
    authenticate: (raw) => signerProblem(raw, trusted),
    onRefused: (reason) => metrics.messagesRefused.inc({ what, reason }),
  };
}
