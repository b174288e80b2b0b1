import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from './logger.ts';
import { MAX_CAUSE_DEPTH } from './serialize-error.ts';
import { DrexError } from '../../protocol/errors.ts';

/** A logger that keeps its lines, parsed. */
function capture(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const prev = process.env.DREX_LOG_LEVEL;
  process.env.DREX_LOG_LEVEL = 'debug';
  const log = createLogger('test', { run: 1 }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  if (prev === undefined) delete process.env.DREX_LOG_LEVEL;
  else process.env.DREX_LOG_LEVEL = prev;
  return { log, lines };
}

class TestError extends DrexError {
  override name = 'TestError';
  readonly code = 'TEST_CODE';
}

type Ser = { name: string; message: string; code?: unknown; stack?: string; cause?: unknown; errors?: unknown[] };

describe('the logger writes errors a person can trace', () => {
  it('writes name, message, code, stack and the cause chain', () => {
    const { log, lines } = capture();
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    log.error('redis down', { error: new TestError('cannot reach redis', { cause: root }) });
    const e = lines[0]!.error as Ser;
    expect(e).toMatchObject({ name: 'TestError', message: 'cannot reach redis', code: 'TEST_CODE' });
    expect(e.stack).toMatch(/TestError: cannot reach redis\n\s+at /);
    expect(e.cause).toMatchObject({ name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:6379', code: 'ECONNREFUSED' });
    expect((e.cause as Ser).stack).toContain('logger.test.ts');
    expect(lines[0]).toMatchObject({ level: 'error', component: 'test', msg: 'redis down', run: 1 });
  });

  it('keeps a non-Error cause and writes bigints as decimal text, also nested', () => {
    const { log, lines } = capture();
    log.info('values', { n: 2n ** 70n, nested: { amount: 5n, err: new Error('inner', { cause: 'a plain reason' }) } });
    expect(lines[0]!.n).toBe('1180591620717411303424');
    const nested = lines[0]!.nested as { amount: string; err: Ser };
    expect(nested.amount).toBe('5');
    expect(nested.err).toMatchObject({ message: 'inner', cause: 'a plain reason' });
  });

  it(`cuts a cause chain after ${MAX_CAUSE_DEPTH} levels`, () => {
    const { log, lines } = capture();
    let err = new Error('level 0');
    for (let i = 1; i < 20; i++) err = new Error(`level ${i}`, { cause: err });
    log.warn('deep', { error: err });
    let e: unknown = lines[0]!.error;
    const messages: string[] = [];
    while (typeof e === 'object' && e !== null) {
      messages.push((e as Ser).message);
      e = (e as Ser).cause;
    }
    expect(messages).toEqual(['level 19', 'level 18', 'level 17', 'level 16', 'level 15']);
    expect(e).toBe(`[cause deeper than ${MAX_CAUSE_DEPTH}: level 14]`);
  });

  it('does not throw on a cyclic cause chain', () => {
    const { log, lines } = capture();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(() => log.error('cycle', { error: a })).not.toThrow();
    expect(lines[0]!.error).toMatchObject({ message: 'a', cause: { message: 'b', cause: '[circular]' } });
  });

  it('writes the inner errors of an AggregateError', () => {
    const { log, lines } = capture();
    log.error('all addresses failed', { error: new AggregateError([new Error('v4 refused'), new Error('v6 refused')], 'connect failed') });
    expect((lines[0]!.error as Ser).errors).toMatchObject([{ message: 'v4 refused' }, { message: 'v6 refused' }]);
  });

  it('writes a line with a note instead of throwing on a cyclic field', () => {
    const { log, lines } = capture();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => log.info('odd fields', { loop })).not.toThrow();
    expect(lines[0]).toMatchObject({ level: 'info', component: 'test', msg: 'odd fields' });
    expect(lines[0]!.logError).toMatch(/fields not written/);
  });
});
