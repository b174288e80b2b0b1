import { html } from 'hono/html';
import type { ReverifyReport } from '../../audit/reverify-checks.ts';
import type { BatchDetail, JobView } from '../batch-views.ts';
import { badge, page, short, time, type Html } from './layout.ts';

/** The outcome of a re-verification: every check and every proof. */
function reverifyResult(r: ReverifyReport): Html {
  return html`<div class="card" id="reverify">
<h2 style="margin-top:0">Re-verification ${badge(r.ok ? 'pass' : 'fail')}</h2>
<p class="mute">Checked ${time(r.checkedAtMs)} in ${r.durationMs} ms against ${r.settlement ? html`tx ${short(r.settlement.txHash)} (${r.settlement.functionName ?? 'unreadable call'})` : 'the chain'}.</p>
<table><thead><tr><th>Check</th><th>Result</th><th>Detail</th></tr></thead><tbody>
${r.checks.map((c) => html`<tr><td>${c.name}</td><td>${badge(c.result)}</td><td>${c.detail}</td></tr>`)}
</tbody></table>
${r.proofs.length
  ? html`<h2>Settled proofs</h2><table><thead><tr><th>#</th><th>Groth16</th><th>Inputs = plan</th><th>Same as recorded</th><th>Worker</th></tr></thead><tbody>
${r.proofs.map(
  (p) => html`<tr><td class="num">${p.index}</td><td>${badge(p.verifies ? 'pass' : 'fail')}</td><td>${p.inputsMatchPlan === null ? '—' : badge(p.inputsMatchPlan ? 'pass' : 'fail')}</td>
<td>${p.sameAsRecorded === null ? '—' : p.sameAsRecorded ? 'yes' : 'no'}</td><td>${short(p.workerId, 8)}</td></tr>`,
)}</tbody></table>`
  : ''}
</div>`;
}

function jobsTable(jobs: JobView[]): Html {
  if (jobs.length === 0) return html`<p class="mute">No jobs (not planned yet, or pruned).</p>`;
  return html`<table><thead><tr><th>#</th><th>Attempt</th><th>State</th><th>Published</th><th>Held by</th></tr></thead><tbody>
${jobs.map(
  (j) => html`<tr><td class="num">${j.index}</td><td class="num">${j.attempt}</td><td>${badge(j.state)}</td><td>${time(j.enqueuedMs)}</td>
<td>${j.holders.length ? j.holders.map((h) => html`<div>${h.half === null ? '' : `half ${h.half}: `}${short(h.workerId, 8)} <span class="mute">${h.lease}</span></div>`) : j.workerId ? short(j.workerId, 8) : '—'}</td></tr>`,
)}</tbody></table>`;
}

/** One batch: its record, settlement, timeline, proofs and jobs, the re-verify button and (after one) its outcome. */
export function batchPage(o: { batch: BatchDetail; jobs: JobView[]; reverify?: ReverifyReport; reverifyError?: string }): Html {
  const b = o.batch;
  return page(
    `Batch ${b.id.slice(0, 10)}`,
    html`<h1>Batch <code>${b.id}</code> ${badge(b.state)}</h1>
${o.reverifyError ? html`<div class="error">${o.reverifyError}</div>` : ''}
${o.reverify ? reverifyResult(o.reverify) : ''}
<h2>Record</h2>
<div class="card"><dl>
<dt>Bank</dt><dd>${b.bankId}</dd>
<dt>Transfers</dt><dd>${b.transfers}</dd>
<dt>Proofs verified</dt><dd>${b.verified} of ${b.proofs}</dd>
<dt>Plan version</dt><dd>${b.planVersion}</dd>
<dt>Note root before</dt><dd>${short(b.rootBefore, 12)}</dd>
<dt>Note root after</dt><dd>${short(b.rootAfter, 12)}</dd>
<dt>Accepted</dt><dd>${time(b.createdMs)}</dd>
<dt>Updated</dt><dd>${time(b.updatedMs)}</dd>
${b.error ? html`<dt>Error</dt><dd><code>${b.error.code}</code> ${b.error.message}</dd>` : ''}
${b.prunedMs ? html`<dt>Pruned</dt><dd>${time(b.prunedMs)}: only the audit record is kept</dd>` : ''}
</dl></div>
<h2>Settlement</h2>
<div class="card">${b.settlement
      ? html`<dl><dt>Transaction</dt><dd><code>${b.settlement.txHash}</code></dd><dt>Block</dt><dd>${b.settlement.block}</dd>
<dt>Aggregation root</dt><dd><code>${b.settlement.aggregationRoot ?? '—'}</code></dd><dt>Settled</dt><dd>${time(b.settlement.settledMs)}</dd></dl>
<form method="post" action="/portal/batches/${b.id}/reverify" style="margin-top:12px"><button class="primary" type="submit">Re-verify against the chain</button>
<span class="mute">Reads the settling transaction back from the chain and verifies every proof off-chain.</span></form>`
      : html`<p class="mute">Not settled.</p>`}</div>
<h2>Timeline</h2>
<ul class="timeline">${b.events.map((e) => html`<li>${badge(e.state)} <strong>${e.message}</strong> <span class="mute">#${e.seq} · ${time(e.atMs)}${e.errorCode ? html` · <code>${e.errorCode}</code>` : ''}</span></li>`)}</ul>
<h2>Proofs</h2>
${b.proofsVerified.length
      ? html`<table><thead><tr><th>#</th><th>Transfers</th><th>Worker(s)</th><th>Prove</th><th>Turnaround</th><th>Note root before → after</th></tr></thead><tbody>
${b.proofsVerified.map(
  (p) => html`<tr><td class="num">${p.index}</td><td>${p.transfers.join(', ')}</td>
<td>${p.halfWorkers ? html`${short(p.halfWorkers[0], 8)}<br>${short(p.halfWorkers[1], 8)}` : short(p.workerId, 8)}${p.attestation
    ? html`<div class="mute">attested: ${p.attestation.moduleId}, PCR0 ${short(p.attestation.pcr0, 8)}, root ${p.attestation.root}, valid until ${time(p.attestation.untilMs)}</div>`
    : ''}</td>
<td class="num">${p.proveMs} ms</td><td class="num">${p.turnaroundMs === null ? '—' : `${p.turnaroundMs} ms`}</td>
<td>${short(p.noteRootBefore, 8)} → ${short(p.noteRootAfter, 8)}</td></tr>`,
)}</tbody></table>`
      : html`<p class="mute">No verified proofs recorded${b.pruned ? ' (pruned)' : ''}.</p>`}
<h2>Jobs</h2>
${jobsTable(o.jobs)}`,
    { nav: 'batches' },
  );
}
