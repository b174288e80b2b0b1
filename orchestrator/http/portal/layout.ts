import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

/** What a portal page renders to. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const CSS = `
:root{--ink:#1b2430;--mute:#5b6675;--line:#dde3ea;--bg:#f5f7fa;--card:#fff;--accent:#0b5cad;--ok:#1e7a3c;--bad:#b3261e;--warn:#8a5a00}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header{background:#0f2740;color:#fff;padding:0 24px;display:flex;align-items:center;gap:28px;height:52px}
header .brand{font-weight:600;letter-spacing:.02em}header nav a{color:#c9d7e6;text-decoration:none;margin-right:18px}header nav a.on,header nav a:hover{color:#fff}
header form{margin-left:auto}header button{background:none;border:1px solid #5a7390;color:#c9d7e6;border-radius:4px;padding:4px 10px;cursor:pointer}
main{max-width:1240px;margin:0 auto;padding:24px}h1{font-size:20px;margin:0 0 16px}h2{font-size:16px;margin:28px 0 10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:16px 18px}
table{width:100%;border-collapse:collapse;background:var(--card);border:1px solid var(--line);border-radius:6px}
th,td{text-align:left;padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--mute);background:#fafbfc}
tr:last-child td{border-bottom:none}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
a{color:var(--accent)}.mute{color:var(--mute)}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600;background:#e8edf3;color:#33414f}
.s-SETTLED,.s-pass,.s-live,.s-verified{background:#e3f4e8;color:var(--ok)}.s-FAILED,.s-fail,.s-expired{background:#fbe6e4;color:var(--bad)}
.s-PROVING,.s-PLANNED,.s-published{background:#e6effa;color:var(--accent)}.s-VERIFIED{background:#eef3e0;color:#4d6b0f}.s-skip,.s-waiting,.s-unverified{background:#fff3d6;color:var(--warn)}
dl{display:grid;grid-template-columns:200px 1fr;gap:6px 16px;margin:0}dt{color:var(--mute)}dd{margin:0}
form.filters{display:flex;gap:10px;align-items:end;margin-bottom:14px}label{display:flex;flex-direction:column;font-size:12px;color:var(--mute);gap:3px}
input,select{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:4px;background:#fff}
button.primary{background:var(--accent);color:#fff;border:none;border-radius:4px;padding:7px 14px;font:inherit;cursor:pointer}
.timeline{list-style:none;margin:0;padding:0;border-left:2px solid var(--line)}.timeline li{margin:0 0 10px 0;padding-left:14px;position:relative}
.timeline li::before{content:"";position:absolute;left:-6px;top:6px;width:10px;height:10px;border-radius:50%;background:var(--accent)}
.error{border-left:4px solid var(--bad);background:#fdf2f1;padding:10px 14px;border-radius:4px;margin-bottom:14px}
.pager{margin-top:12px}
`;

/** A short form of a long hex value (0x1234…abcd), the whole value in its title. */
export function short(v: string | null | undefined, keep = 10): Html | string {
  if (!v) return '—';
  return v.length <= keep * 2 + 1 ? html`<code>${v}</code>` : html`<code title="${v}">${v.slice(0, keep)}…${v.slice(-6)}</code>`;
}

/** An epoch-ms time in UTC (— for none). */
export function time(ms: number | null | undefined): string {
  if (!ms) return '—';
  return `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
}

/** A state badge. */
export function badge(state: string): Html {
  return html`<span class="badge s-${state.replace(/[^A-Za-z]/g, '')}">${state}</span>`;
}

/** A portal page: header with navigation (and sign-out once signed in), then `body`. */
export function page(title: string, body: Html, o: { nav?: 'batches' | 'workers' | 'attestations'; signedIn?: boolean } = {}): Html {
  const on = (n: string) => (o.nav === n ? 'on' : '');
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title} · Drex regulator portal</title><style>${raw(CSS)}</style></head>
<body><header><span class="brand">Drex · regulator portal</span>
${o.signedIn === false ? '' : html`<nav><a class="${on('batches')}" href="/portal">Batches</a><a class="${on('workers')}" href="/portal/workers">Workers</a><a class="${on('attestations')}" href="/portal/attestations">Attestations</a></nav>
<form method="post" action="/portal/logout"><button type="submit">Sign out</button></form>`}
</header><main>${body}</main></body></html>`;
}
