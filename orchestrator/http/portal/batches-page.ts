import { html } from 'hono/html';
import { BATCH_STATES } from '../../store/batch-states.ts';
import type { BatchSummary } from '../batch-views.ts';
import { badge, page, short, time, type Html } from './layout.ts';

/** The batch list: filters, a table newest first, and a link to the next page. */
export function batchesPage(o: { batches: BatchSummary[]; state?: string; bank?: string; limit: number; nextCursor: string | null; error?: string }): Html {
  const next = o.nextCursor
    ? `/portal?${new URLSearchParams({ ...(o.state ? { state: o.state } : {}), ...(o.bank ? { bank: o.bank } : {}), limit: String(o.limit), cursor: o.nextCursor })}`
    : null;
  const rows = o.batches.map(
    (b) => html`<tr>
<td><a href="/portal/batches/${b.id}">${short(b.id, 8)}</a></td>
<td>${b.bankId}</td>
<td>${badge(b.state)}${b.error ? html`<div class="mute">${b.error.code}</div>` : ''}</td>
<td class="num">${b.transfers}</td>
<td class="num">${b.verified}/${b.proofs}</td>
<td>${b.settlement ? html`${short(b.settlement.txHash, 8)}<div class="mute">block ${b.settlement.block}</div>` : '—'}</td>
<td>${short(b.settlement?.aggregationRoot, 8)}</td>
<td>${time(b.updatedMs)}</td>
</tr>`,
  );
  return page(
    'Batches',
    html`<h1>Batches</h1>
${o.error ? html`<div class="error">${o.error}</div>` : ''}
<form class="filters" method="get" action="/portal">
<label>Status<select name="state"><option value="">any</option>${BATCH_STATES.map((s) => html`<option value="${s}" ${o.state === s ? 'selected' : ''}>${s}</option>`)}</select></label>
<label>Bank<input name="bank" value="${o.bank ?? ''}" placeholder="any"></label>
<label>Per page<input name="limit" value="${o.limit}" size="4"></label>
<button class="primary" type="submit">Filter</button>
</form>
<table><thead><tr><th>Batch</th><th>Bank</th><th>Status</th><th>Transfers</th><th>Proofs</th><th>Settlement tx</th><th>Aggregation root</th><th>Updated</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8" class="mute">No batches.</td></tr>`}</tbody></table>
${next ? html`<p class="pager"><a href="${next}">Older batches →</a></p>` : ''}`,
    { nav: 'batches' },
  );
}
