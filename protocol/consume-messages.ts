import type { Consumer, ConsumerMessages } from '@nats-io/jetstream';
import type { z } from 'zod';
import type { Logger } from '../swarm/log/logger.ts';

/** A running consume loop: `stop()` closes the consumer's message iterator and waits for the loop. */
export interface ConsumeLoop {
  stop(): Promise<void>;
}

/** What a handler may do with the message in hand. */
export interface MessageControl {
  /** Tells JetStream the message is still being worked on (resets its ack wait). */
  working(): void;
  /** How many times JetStream delivered this message. */
  deliveryCount: number;
}

/** A handler's answer: nothing (done: ack) or "not yet" (nak: deliver again after `retryInMs`). */
export type HandleOutcome = void | { retryInMs: number };

export interface ConsumeOptions<T> {
  schema: z.ZodType<T>;
  handle: (msg: T, ctl: MessageControl) => Promise<HandleOutcome>;
  log: Logger;
  /** What the messages are, for log lines. */
  what: string;
  /** Messages buffered ahead (1: strictly one at a time). */
  maxMessages?: number;
  /** Redelivery delay when `handle` throws. Default 1 s. */
  errorRetryMs?: number;
  /** While `handle` runs, an in-progress signal this often (set it below the consumer's ack wait). */
  workingIntervalMs?: number;
  /**
   * Checks the message as received (parsed JSON, before the schema): a reason to refuse it (e.g. its
   * signature), or null. A refused message is terminated and logged, and changes nothing.
   */
  authenticate?: (raw: unknown) => string | null;
  /** Called with the reason of each message terminated unhandled (`MALFORMED`, or `authenticate`'s). */
  onRefused?: (reason: string) => void;
}

/**
 * The one JetStream consume loop of the pipeline: each message is checked by `authenticate` and
 * validated with `schema` (a message refused, not JSON or not of the schema is terminated: logged,
 * counted through `onRefused`, never retried), handed to `handle` with
 * in-progress signals while it runs, then acked, or nak'ed with the delay `handle` asks for, or after
 * `errorRetryMs` when `handle` throws.
 */
export async function consumeMessages<T>(consumer: Consumer, o: ConsumeOptions<T>): Promise<ConsumeLoop> {
  const messages: ConsumerMessages = await consumer.consume({ max_messages: o.maxMessages ?? 64 });
  const loop = (async () => {
    for await (const m of messages) {
      let parsed: ReturnType<typeof o.schema.safeParse>;
      let refused: string | null = null;
      try {
        const raw: unknown = JSON.parse(m.string());
        refused = o.authenticate?.(raw) ?? null;
        parsed = o.schema.safeParse(raw);
      } catch {
        parsed = { success: false } as ReturnType<typeof o.schema.safeParse>;
      }
      if (refused || !parsed.success) {
        const reason = refused ?? 'MALFORMED';
        if (refused) o.log.error(`${o.what} refused: dropped`, { seq: m.seq, reason });
        else o.log.error(`malformed ${o.what} dropped`, { seq: m.seq });
        o.onRefused?.(reason);
        m.term();
        continue;
      }
      const working = o.workingIntervalMs ? setInterval(() => m.working(), o.workingIntervalMs) : undefined;
      try {
        const outcome = await o.handle(parsed.data, { working: () => m.working(), deliveryCount: m.info.deliveryCount });
        if (outcome) m.nak(outcome.retryInMs);
        else m.ack();
      } catch (err) {
        o.log.error(`${o.what} handling failed; will be redelivered`, { error: err });
        m.nak(o.errorRetryMs ?? 1000);
      } finally {
        clearInterval(working);
      }
    }
  })();
  return {
    stop: async () => {
      await messages.close();
      await loop;
    },
  };
}
