import type { JsMsg } from '@nats-io/jetstream';
import { compare, parseSemVer, type NatsConnection } from '@nats-io/transport-node';

/** First nats-server that understands `+TERM <reason>`; older ones ignore the whole ack and redeliver. */
const TERM_REASON_SINCE = parseSemVer('2.10.4');

/** Terminates a delivery (no redelivery), sending the reason only to servers that accept one. */
export type Terminate = (msg: JsMsg, reason: string) => void;

export function terminator(nc: NatsConnection): Terminate {
  return (msg, reason) => {
    const version = nc.info?.version;
    if (version && compare(parseSemVer(version), TERM_REASON_SINCE) >= 0) msg.term(reason.slice(0, 500));
    else msg.term();
  };
}
