/** The worker page's HTML: a status card, the counters, the current job and the activity list, filled by page/app.ts. */
export const WORKER_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>drex-swarm · browser worker</title>
<link rel="icon" href="data:,">
<style>
  :root { --fg: #14213d; --muted: #5c677d; --line: #e3e7ee; --bg: #f6f8fb; --ok: #1b7f4b; --warn: #b7791f; --bad: #c0392b; --accent: #1d4ed8; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  header { background: var(--fg); color: #fff; padding: 14px 28px; display: flex; align-items: baseline; gap: 14px; }
  header h1 { font-size: 18px; margin: 0; font-weight: 600; }
  header span { color: #c9d3e6; font-size: 13px; }
  main { max-width: 980px; margin: 24px auto; padding: 0 20px; display: grid; gap: 18px; grid-template-columns: 1fr 1fr; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; }
  section.wide { grid-column: 1 / -1; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 12px; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
  .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; background: #e8edf7; color: var(--accent); }
  .badge.working { background: #e3f4ea; color: var(--ok); }
  .badge.failed { background: #fbe6e4; color: var(--bad); }
  .badge.stopped, .badge.stopping { background: #f1f1f1; color: var(--muted); }
  .stats { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
  .stat { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
  .stat b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
  .stat small { color: var(--muted); }
  #current { white-space: pre-line; }
  #activity { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow: auto; font-size: 13px; }
  #activity li { padding: 4px 0; border-bottom: 1px solid var(--line); }
  #activity li.warn { color: var(--warn); }
  #activity li.error { color: var(--bad); }
  #activity time { color: var(--muted); font-variant-numeric: tabular-nums; margin-right: 6px; }
  button { font: inherit; padding: 6px 14px; border-radius: 6px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
  p.note { color: var(--muted); font-size: 13px; margin: 12px 0 0; }
</style>
</head>
<body data-state="starting">
<header><h1>drex-swarm</h1><span>browser worker</span></header>
<main>
  <section>
    <h2>This worker</h2>
    <dl>
      <dt>Status</dt><dd><span id="state" class="badge">starting</span> <span id="state-detail"></span></dd>
      <dt>Worker id</dt><dd id="worker-id" class="mono">–</dd>
      <dt>Operator</dt><dd id="operator">–</dd>
      <dt>Deployment</dt><dd id="deployment">–</dd>
    </dl>
    <p class="note">Its key stays in this browser. It receives one random half of each computation, sealed to it, never a transfer.</p>
  </section>
  <section>
    <h2>Computing</h2>
    <dl>
      <dt>MSM backend</dt><dd id="backend">measuring…</dd>
      <dt>Why</dt><dd id="backend-reason">–</dd>
      <dt>Threads</dt><dd id="threads">–</dd>
    </dl>
    <p class="note"><button id="stop" type="button">Stop contributing</button></p>
  </section>
  <section class="wide">
    <h2>Jobs</h2>
    <div class="stats">
      <div class="stat"><b id="halves">0</b><small>halves computed</small></div>
      <div class="stat"><b id="in-hand">0</b><small>in hand</small></div>
      <div class="stat"><b id="msm-last">–</b><small>last MSM time</small></div>
      <div class="stat"><b id="msm-avg">–</b><small>average MSM time</small></div>
    </div>
    <dl style="margin-top:14px">
      <dt>Current job</dt><dd id="current" class="mono">waiting for a job</dd>
      <dt>Failed</dt><dd id="failed">0</dd>
    </dl>
  </section>
  <section class="wide">
    <h2>Activity</h2>
    <ul id="activity"></ul>
  </section>
</main>
<script type="module" src="/worker/app.js"></script>
</body>
</html>
`;
