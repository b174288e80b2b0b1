import { compare, nanos, parseSemVer, type NatsConnection } from '@nats-io/transport-node';

/** First nats-server that understands `+TERM <reason>`; older ones ignore the whole ack and redeliver. */
const TERM_REASON_SINCE = parseSemVer('2.10.4');

/**
 * Answers a JetStream delivery through its ack subject (`msg.reply`), from any connection: which is how
 * any gateway replica serves any lease, and a restarted gateway loses nothing.
 */
export class AckSubject {
  constructor(private readonly nc: NatsConnection) {}

  /** In progress: resets the delivery's ack wait. */
  working(subject: string): void {
    this.nc.publish(subject, '+WPI');
  }

  /** Acks and waits for JetStream to confirm it (throws when it does not within `timeoutMs`). */
  async ack(subject: string, timeoutMs = 5_000): Promise<void> {
    await this.nc.request(subject, '+ACK', { timeout: timeoutMs });
  }

  /** Delivers the job again after `delayMs` (at once when 0). */
  nak(subject: string, delayMs = 0): void {
    this.nc.publish(subject, delayMs > 0 ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : '-NAK');
  }

  /** Never delivers the job again; the reason goes only to servers that accept one. */
  term(subject: string, reason?: string): void {
    const version = this.nc.info?.version;
    const withReason = reason && version && compare(parseSemVer(version), TERM_REASON_SINCE) >= 0;
    this.nc.publish(subject, withReason ? `+TERM ${reason.slice(0, 500)}` : '+TERM');
  }
}
