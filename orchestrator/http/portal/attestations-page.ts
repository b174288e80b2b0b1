import { html } from 'hono/html';
import type { AttestationReport } from '../../../swarm/attestation/attestation-report.ts';
import { badge, page, type Html } from './layout.ts';

const ZERO = /^0+$/;

function seconds(ms: number): string {
  return ms >= 0 ? `${(ms / 1000).toFixed(1)} s old` : `${(-ms / 1000).toFixed(1)} s in the future`;
}

/** What a verified (or refused) document states: measurement, key, age, chain. */
function proves(r: AttestationReport): Html | string {
  const c = r.claims;
  if (!c) return '';
  const measured = Object.entries(c.pcrs).filter(([, v]) => !ZERO.test(v));
  const zero = Object.entries(c.pcrs).filter(([, v]) => ZERO.test(v)).map(([i]) => `PCR${i}`);
  return html`<h2>What the document ${r.ok ? 'proves' : 'claims (not proven: a check failed)'}</h2>
<div class="card"><dl>
<dt>Enclave (module id)</dt><dd><code>${c.moduleId}</code></dd>
<dt>Made at</dt><dd>${c.timestamp} (${r.ageMs === null ? '—' : seconds(r.ageMs)} at ${r.at})</dd>
<dt>Root</dt><dd>${c.root ? html`${c.root.name} <code>${c.root.sha256}</code>` : html`<span class="badge s-fail">no trusted root</span>`}</dd>
<dt>Bound public key</dt><dd>${c.publicKey ? html`<code>${c.publicKey}</code>` : html`<span class="mute">none</span>`}</dd>
<dt>Nonce</dt><dd>${c.nonce ? html`<code>${c.nonce}</code>` : html`<span class="mute">none</span>`}</dd>
<dt>User data</dt><dd>${c.userData ? html`<code>${c.userData}</code>` : html`<span class="mute">none</span>`}</dd>
<dt>Debug mode</dt><dd>${c.debugMode ? html`<span class="badge s-fail">yes: PCR0-2 are zero, no measurement</span>` : 'no'}</dd>
</dl></div>
<h2>Measurement (${c.digest} PCRs)</h2>
<table><thead><tr><th>PCR</th><th>Value</th></tr></thead><tbody>
${measured.map(([i, v]) => html`<tr><td>PCR${i}</td><td><code>${v}</code></td></tr>`)}
${zero.length ? html`<tr><td class="mute">zero</td><td class="mute">${zero.join(' ')}</td></tr>` : ''}
</tbody></table>
<h2>Certificate chain</h2>
<table><thead><tr><th>Role</th><th>Subject</th><th>Valid</th><th>SHA-256</th></tr></thead><tbody>
${c.chain.map((l) => html`<tr><td>${l.role}</td><td>${l.subject}</td><td class="mono">${l.notBefore}<br>${l.notAfter}</td><td><code>${l.sha256}</code></td></tr>`)}
</tbody></table>`;
}

/**
 * The attestation page: a form (paste base64 or upload the raw document, optional check time, nonce and key), and
 * once a document was given, each check with its result and what the document proves.
 */
export function attestationsPage(o: { report?: AttestationReport; error?: string; form?: { document?: string; at?: string; nonce?: string; publicKey?: string } } = {}): Html {
  const f = o.form ?? {};
  const r = o.report;
  return page(
    'Attestations',
    html`<h1>Verify an attestation document</h1>
<p class="mute">An AWS Nitro Enclaves attestation document (or a dev enclave's, when this deployment trusts its root), checked against this deployment's attestation policy: COSE ES384 signature, certificate chain to a trusted root, validity at the check time, debug mode, allowed measurements, age, nonce and bound key.</p>
${o.error ? html`<div class="error">${o.error}</div>` : ''}
<form class="card" method="post" action="/portal/attestations" enctype="multipart/form-data">
<label>Document (base64)<textarea name="document" rows="5" style="width:100%;font:12px ui-monospace,monospace">${f.document ?? ''}</textarea></label>
<p><label>…or upload the raw document (CBOR) <input type="file" name="file"></label></p>
<div class="filters" style="display:flex;gap:10px;align-items:end">
<label>Check as of (ISO time; empty: now)<input name="at" value="${f.at ?? ''}" placeholder="2025-12-25T13:15:37.578Z"></label>
<label>Expected nonce (hex)<input name="nonce" value="${f.nonce ?? ''}"></label>
<label>Expected public key (hex)<input name="publicKey" value="${f.publicKey ?? ''}"></label>
<button class="primary" type="submit">Verify</button></div>
</form>
${r
  ? html`<h2>Result: ${badge(r.ok ? 'verified' : 'fail')} ${r.ok ? 'every check passed' : html`failed: ${r.failed.join(', ')}`}</h2>
<table><thead><tr><th>Check</th><th>Result</th><th>Detail</th></tr></thead><tbody>
${r.checks.map((k) => html`<tr><td><code>${k.check}</code></td><td>${badge(k.ok ? 'pass' : 'fail')}</td><td>${k.detail}</td></tr>`)}
</tbody></table>
${proves(r)}`
  : ''}`,
    { nav: 'attestations' },
  );
}
