import { html } from 'hono/html';
import type { RefusedEntry, WorkerView } from '../../members/member-directory.ts';
import { badge, page, short, time, type Html } from './layout.ts';

/** The workers the members bucket knows: what each declares and whether it is live. */
export function workersPage(o: { workers: WorkerView[]; refused: RefusedEntry[]; reputationNote: string }): Html {
  const rows = o.workers.map(
    (w) => html`<tr>
<td>${short(w.workerId, 8)}</td>
<td>${w.runtime}</td>
<td>${w.msmBackend ?? '—'}</td>
<td class="num">${w.threads}</td>
<td>${w.gpu ? 'yes' : 'no'}</td>
<td>${w.operator ?? '—'}</td>
<td class="num">${w.score}</td>
<td class="mute">none</td>
<td>${badge(w.attestation)}</td>
<td>${badge(w.liveness)}<div class="mute">${time(w.lastSeenMs)}</div></td>
</tr>`,
  );
  return page(
    'Workers',
    html`<h1>Workers</h1>
<p class="mute">From the signed membership entries workers heartbeat into. Reputation: ${o.reputationNote}. Attestation: <em>none</em> for workers that are not TEEs; <em>unverified</em> for a TEE whose entry carries no evidence the orchestrator can check.</p>
<table><thead><tr><th>Worker</th><th>Runtime</th><th>MSM backend</th><th>Threads</th><th>GPU</th><th>Operator</th><th>Score</th><th>Reputation</th><th>Attestation</th><th>Last seen</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="10" class="mute">No workers.</td></tr>`}</tbody></table>
${o.refused.length
  ? html`<h2>Refused entries</h2><table><thead><tr><th>Key</th><th>Problem</th></tr></thead><tbody>${o.refused.map((r) => html`<tr><td><code>${r.key}</code></td><td>${r.problem}</td></tr>`)}</tbody></table>`
  : ''}`,
    { nav: 'workers' },
  );
}
