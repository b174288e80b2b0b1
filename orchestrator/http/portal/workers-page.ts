import { html } from 'hono/html';
import type { WorkerView } from '../../members/member-directory.ts';
import { badge, page, short, time, type Html } from './layout.ts';

/** The workers the membership holds: what each declares, its reputation, and whether it is live. */
export function workersPage(o: { workers: WorkerView[]; dropped: Record<string, number>; reputationNote: string }): Html {
  const drops = Object.entries(o.dropped).filter(([, n]) => n > 0);
  const rows = o.workers.map(
    (w) => html`<tr>
<td>${short(w.workerId, 8)}</td>
<td>${w.runtime}</td>
<td>${w.msmBackend}</td>
<td class="num">${w.threads}</td>
<td>${w.gpu ? 'yes' : 'no'}</td>
<td>${short(w.operator, 16)}</td>
<td class="num">${w.score}</td>
<td class="num">${w.reputation ?? '—'}</td>
<td>${badge(w.attestation)}</td>
<td>${badge(w.liveness)}<div class="mute">${time(w.lastSeenMs)}</div></td>
</tr>`,
  );
  return page(
    'Workers',
    html`<h1>Workers</h1>
<p class="mute">From the signed membership entries workers announce, as this orchestrator\'s replica holds them. Reputation: ${o.reputationNote}. Attestation: <em>none</em> for workers that are not TEEs; <em>unverified</em> here for a TEE: the job gateway verifies its attestation before each whole job, and a batch\'s page shows it with each proof.</p>
<table><thead><tr><th>Worker</th><th>Runtime</th><th>MSM backend</th><th>Threads</th><th>GPU</th><th>Operator</th><th>Score</th><th>Reputation</th><th>Attestation</th><th>Last seen</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="10" class="mute">No workers.</td></tr>`}</tbody></table>
${drops.length
  ? html`<h2>Entries dropped</h2><table><thead><tr><th>Reason</th><th>Count</th></tr></thead><tbody>${drops.map(([reason, n]) => html`<tr><td><code>${reason}</code></td><td class="num">${n}</td></tr>`)}</tbody></table>`
  : ''}`,
    { nav: 'workers' },
  );
}
