/** The worker page's view: fills the elements of the page served by worker-page-html.ts. */
import type { PageLogLine } from './page-log.ts';
import type { PageCounts } from './page-metrics.ts';

/** The page's life: shown as a badge and as `document.body.dataset.state` (tests wait on it). */
export type PageState = 'starting' | 'measuring' | 'admitting' | 'connecting' | 'working' | 'stopping' | 'stopped' | 'failed';

const $ = (id: string) => document.getElementById(id);
const set = (id: string, text: string) => {
  const el = $(id);
  if (el) el.textContent = text;
};
const ms = (v: number | undefined) => (v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

export function showState(state: PageState, detail = ''): void {
  document.body.dataset.state = state;
  const badge = $('state');
  if (badge) {
    badge.textContent = state;
    badge.className = `badge ${state}`;
  }
  set('state-detail', detail);
}

export function showFacts(facts: Record<string, string>): void {
  for (const [id, text] of Object.entries(facts)) set(id, text);
}

/** The current job, from the runtime's log lines. */
export interface CurrentJob {
  label: string;
  sinceMs: number;
}

export function showCounts(c: PageCounts, current: ReadonlyMap<string, CurrentJob>): void {
  const failed = Object.values(c.failed).reduce((a, b) => a + b, 0);
  set('halves', String(c.halves));
  set('failed', failed ? `${failed} (${Object.entries(c.failed).map(([k, v]) => `${k} ${v}`).join(', ')})` : '0');
  set('in-hand', String(c.inHand));
  set('msm-last', ms(c.msmMs.at(-1)));
  set('msm-avg', ms(c.msmMs.length ? c.msmMs.reduce((a, b) => a + b, 0) / c.msmMs.length : undefined));
  const now = Date.now();
  set('current', current.size ? [...current.values()].map((j) => `${j.label} · ${ms(now - j.sinceMs)}`).join('\n') : 'waiting for a job');
}

export function appendActivity(line: PageLogLine): void {
  const list = $('activity');
  if (!list) return;
  const li = document.createElement('li');
  li.className = line.level;
  const time = document.createElement('time');
  time.textContent = new Date(line.ts).toLocaleTimeString();
  const f = line.fields;
  const where = typeof f.batchId === 'string' ? ` ${f.batchId} #${String(f.index)}${f.half === undefined ? '' : ` half ${String(f.half)}`}` : '';
  const extra = typeof f.msmMs === 'number' ? ` (${ms(f.msmMs)})` : f.err ? ` — ${String((f.err as { message?: string }).message ?? f.err)}` : '';
  li.append(time, ` ${line.msg}${where}${extra}`);
  list.prepend(li);
  while (list.children.length > 60) list.lastElementChild?.remove();
}
