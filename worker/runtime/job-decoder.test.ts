import { describe, expect, it } from 'vitest';
import type { HalfJobV1 } from '../../protocol/messages/half.ts';
import type { JobV1 } from '../../protocol/messages/job.ts';
import { decodeJob } from './job-decoder.ts';

const bytes = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const batchId = `0x${'ab'.repeat(32)}`;
const artifact = 'cd'.repeat(32);

const whole: JobV1 = { v: 1, jobId: 'j1', batchId, index: 0, planVersion: 1, attempt: 1, circuit: 'transfer', artifact, input: { amount: '5' }, enqueuedMs: 1_700_000_000_000 };
const half: HalfJobV1 = {
  v: 1,
  kind: 'half',
  jobId: 'p1.h0',
  proofId: 'p1',
  half: 0,
  batchId,
  index: 3,
  planVersion: 1,
  attempt: 1,
  circuit: 'transfer',
  artifact,
  share: { object: 'share/p1.h0', bytes: 1234 },
  deadlineMs: 30_000,
  enqueuedMs: 1_700_000_000_000,
};

describe('decoding a granted job', () => {
  it('reads a whole job and a half job, each as its kind', () => {
    expect(decodeJob(bytes(whole))).toEqual({ ok: true, kind: 'whole', job: whole });
    expect(decodeJob(bytes(half))).toEqual({ ok: true, kind: 'half', job: half });
  });

  it('refuses a half job missing a field or with a bad one, naming it', () => {
    const { share: _share, ...noShare } = half;
    const r1 = decodeJob(bytes(noShare));
    expect(r1).toMatchObject({ ok: false });
    expect(!r1.ok && r1.reason).toMatch(/halfJobV1.*share/);
    const r2 = decodeJob(bytes({ ...half, half: 2 }));
    expect(!r2.ok && r2.reason).toMatch(/halfJobV1.*half/);
  });

  it('does not read a half job as a whole job, nor a job of an unknown kind', () => {
    expect(decodeJob(bytes({ ...whole, kind: 'half' }))).toMatchObject({ ok: false });
    const r = decodeJob(bytes({ ...whole, kind: 'quarter' }));
    expect(!r.ok && r.reason).toMatch(/unknown job kind "quarter"/);
  });

  it('refuses bytes that are not JSON or not an object', () => {
    expect(decodeJob(bytes('{ nope'))).toMatchObject({ ok: false, reason: expect.stringMatching(/^not JSON/) });
    expect(decodeJob(bytes('null'))).toMatchObject({ ok: false, reason: expect.stringMatching(/jobV1/) });
    expect(decodeJob(bytes('[1]'))).toMatchObject({ ok: false });
  });
});
