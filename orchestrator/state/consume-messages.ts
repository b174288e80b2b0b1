import type { Consumer, ConsumerMessages } from '@nats-io/jetstream';
import type { z } from 'zod';
import type { Logger } from '../../swarm/log/logger.ts';

/** A running consume loop: `stop()` closes the consumer's message iterator and waits for the loop. */
export interface ConsumeLoop {
  stop(): Promise<void>;
}

/**
 * Consumes `consumer`, validating each message with `schema`: a message that is not JSON or not of the
 * schema is terminated (logged, never retried); a valid one is handed to `handle` and acked after it,
 * or nak'ed for redelivery when `handle` throws.
 */
export async function consumeMessages<T>(
  consumer: Consumer,
  o: { schema: z.ZodType<T>; handle: (msg: T) => Promise<void>; log: Logger; what: string; maxMessages?: number },
): Promise<ConsumeLoop> {
  const messages: ConsumerMessages = await consumer.consume({ max_messages: o.maxMessages ?? 64 });
  const loop = (async () => {
    for await (const m of messages) {
      let parsed: ReturnType<typeof o.schema.safeParse>;
      try {
        parsed = o.schema.safeParse(JSON.parse(m.string()));
      } catch {
        parsed = { success: false } as ReturnType<typeof o.schema.safeParse>;
      }
      if (!parsed.success) {
        o.log.error(`malformed ${o.what} dropped`, { seq: m.seq });
        m.term();
        continue;
      }
      try {
        await o.handle(parsed.data);
        m.ack();
      } catch (err) {
        o.log.error(`${o.what} handling failed; will be redelivered`, { error: err });
        m.nak(1000);
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
