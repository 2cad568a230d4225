/**
 * The trace page: one self-contained HTML file (styles, script and data
 * inline; no server, no CDN) listing a run's tests, failing first, then
 * slowest, with a filter box; a test opens to its timeline of steps, SQL,
 * HTTP and log lines, and, if it failed, its error and its kept space's psql
 * line. Built from the parts every test process wrote (recorder.ts).
 */
import { MAX_EVENTS, MAX_TEST_CHARS, type TestTrace } from './recorder.js';

/** What the page says about the run as a whole. */
export interface RunFacts {
  runner: string;
  finishedAt: string;
}

/** The most the page's data may hold: past it, tests lose their events, then the page itself (failing tests go last). */
export const MAX_PAGE_CHARS = 16 * 1_048_576;

/** A test as the page lists it: `eventsLeftOff` when its events did not fit. */
export type PageTest = TestTrace & { eventsLeftOff?: number };

/**
 * The tests that fit in `max` characters, failing first, then slowest: each
 * whole while it fits, else without its events, else left off (counted).
 */
export function fitPage(tests: TestTrace[], max = MAX_PAGE_CHARS): { tests: PageTest[]; leftOff: number } {
  const fitted: PageTest[] = [];
  let used = 0;
  let leftOff = 0;
  const fits = (candidate: PageTest): boolean => {
    const chars = JSON.stringify(candidate).length;
    if (used + chars > max) return false;
    fitted.push(candidate);
    used += chars;
    return true;
  };
  for (const test of sortTraces(tests)) {
    if (!fits(test) && !fits({ ...test, events: [], eventsLeftOff: test.events.length })) leftOff++;
  }
  return { tests: fitted, leftOff };
}

const ORDER = { failed: 0, passed: 1, skipped: 2 } as const;

/** Failing tests first, then the slowest. */
export function sortTraces(tests: TestTrace[]): TestTrace[] {
  return [...tests].sort((a, b) => ORDER[a.state] - ORDER[b.state] || b.ms - a.ms);
}

/** JSON that can sit inside a <script> element whatever the strings in it say. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The page for `tests`, at most MAX_PAGE_CHARS of data (see fitPage). */
export function renderPage(tests: TestTrace[], facts: RunFacts, max = MAX_PAGE_CHARS): string {
  const fitted = fitPage(tests, max);
  const data = scriptSafeJson({ facts: { ...facts, leftOff: fitted.leftOff }, tests: fitted.tests });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pgspace trace</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>pgspace trace</h1>
  <p id="summary"></p>
  <input id="filter" type="search" placeholder="Filter by test, file, SQL, URL or log text" autofocus>
</header>
<main id="tests"></main>
<script id="trace-data" type="application/json">${data}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: 8px 16px; z-index: 1; }
h1 { font-size: 18px; margin: 0 0 4px; }
#summary { margin: 0 0 8px; color: #555; }
#filter { width: 100%; max-width: 640px; font: inherit; padding: 4px 8px; }
main { padding: 8px 16px; }
.test { background: #fff; border: 1px solid #ddd; border-radius: 4px; margin: 0 0 6px; }
.test > .head { display: flex; gap: 12px; align-items: baseline; padding: 6px 10px; cursor: pointer; }
.test.failed { border-color: #d33; }
.state { font-weight: 600; min-width: 56px; }
.failed .state { color: #c00; } .passed .state { color: #080; } .skipped .state { color: #888; }
.title { flex: 1; } .file, .counts { color: #666; font-size: 12px; } .ms { font-variant-numeric: tabular-nums; }
.body { border-top: 1px solid #eee; padding: 8px 10px; }
.error { background: #fff0f0; border-left: 3px solid #d33; padding: 6px 10px; margin-bottom: 8px; }
pre { margin: 4px 0; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, monospace; }
.space { margin-bottom: 8px; } .space code { background: #f0f0f0; padding: 2px 4px; word-break: break-all; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
td { padding: 2px 6px; vertical-align: top; border-top: 1px solid #f2f2f2; }
td.num { text-align: right; white-space: nowrap; color: #555; font-variant-numeric: tabular-nums; }
td.text { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; word-break: break-word; }
tr.event { cursor: pointer; } tr.event.bad td { background: #fff0f0; } tr.event.bad td.text { color: #b00; }
.kind { font-size: 11px; font-weight: 600; border-radius: 3px; padding: 0 4px; white-space: nowrap; }
.k-sql { background: #e6f0ff; color: #0550ae; } .k-http-in, .k-http-out { background: #eafbe7; color: #116329; }
.k-log { background: #f3f0ff; color: #6639ba; } .k-step { background: #f0f0f0; color: #444; }
tr.more td { background: #fcfcfc; }
button { font: inherit; font-size: 12px; }
`;

// Plain ES2017 for any browser; every string from the data goes in through textContent.
const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var list = document.getElementById('tests');
  var tests = data.tests;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function ms(n) { return n >= 1000 ? (n / 1000).toFixed(2) + ' s' : n.toFixed(1) + ' ms'; }
  var counts = { failed: 0, passed: 0, skipped: 0 };
  tests.forEach(function (t) { counts[t.state]++; });
  document.getElementById('summary').textContent = tests.length + ' tests (' + data.facts.runner + '): ' + counts.failed + ' failed, ' +
    counts.passed + ' passed, ' + counts.skipped + ' skipped. Failing first, then slowest. Written ' + data.facts.finishedAt + '.' +
    (data.facts.leftOff ? ' ' + data.facts.leftOff + ' more tests left off: the page holds at most ${MAX_PAGE_CHARS / 1_048_576} MB.' : '');
  function haystack(t) {
    return (t.title + ' ' + (t.file || '') + ' ' + t.events.map(function (e) { return e.text; }).join(' ')).toLowerCase();
  }
  function detail(t) {
    var body = el('div', 'body');
    if (t.error) {
      var err = el('div', 'error');
      err.appendChild(el('strong', '', t.error.message));
      if (t.error.expected !== undefined || t.error.actual !== undefined) {
        err.appendChild(el('div', '', 'expected:')); err.appendChild(el('pre', '', t.error.expected));
        err.appendChild(el('div', '', 'actual:')); err.appendChild(el('pre', '', t.error.actual));
      }
      if (t.error.stack) err.appendChild(el('pre', 'stack', t.error.stack));
      body.appendChild(err);
    }
    t.spaces.forEach(function (s) {
      var p = el('div', 'space', s.kept ? 'space kept for debugging: ' : 'space (given back): ');
      p.appendChild(el('code', '', s.name));
      if (s.origin) p.appendChild(document.createTextNode(' (' + s.origin + ')'));
      if (s.psql) {
        p.appendChild(document.createTextNode(' '));
        p.appendChild(el('code', 'psql', s.psql));
        // The page masks the password: the run's output, and \`npx pgspace list\`, have the line whole.
        p.appendChild(document.createTextNode(' (with its password: in the output of the run, and of npx pgspace list)'));
      }
      body.appendChild(p);
    });
    var table = el('table');
    t.events.forEach(function (e) {
      var row = el('tr', 'event' + (e.error ? ' bad' : ''));
      row.appendChild(el('td', 'num', '+' + ms(e.at)));
      row.appendChild(el('td', 'num', e.ms === undefined ? '' : ms(e.ms)));
      var kind = el('td'); kind.appendChild(el('span', 'kind k-' + e.kind, e.kind)); row.appendChild(kind);
      row.appendChild(el('td', 'text', e.text + (e.error ? '\\n' + e.error : '')));
      table.appendChild(row);
      var keys = Object.keys(e.detail || {});
      if (keys.length) {
        var more = el('tr', 'more'); more.hidden = true;
        var cell = el('td'); cell.colSpan = 4;
        keys.forEach(function (k) { cell.appendChild(el('div', '', k + ':')); cell.appendChild(el('pre', '', e.detail[k])); });
        more.appendChild(cell); table.appendChild(more);
        row.onclick = function () { more.hidden = !more.hidden; };
      }
    });
    if (t.eventsLeftOff !== undefined) body.appendChild(el('p', '', 'Its ' + t.eventsLeftOff + ' events are left off: the page holds at most ${MAX_PAGE_CHARS / 1_048_576} MB, failing tests first.'));
    else if (t.events.length === 0) body.appendChild(el('p', '', 'No SQL, HTTP or log lines recorded.'));
    body.appendChild(table);
    if (t.cut) body.appendChild(el('p', '', t.cut + ' more events not recorded: a test records at most ${MAX_EVENTS.toLocaleString('en')} events and ${MAX_TEST_CHARS / 1_048_576} MB.'));
    return body;
  }
  tests.forEach(function (t) {
    var box = el('section', 'test ' + t.state);
    var head = el('div', 'head');
    head.appendChild(el('span', 'state', t.state));
    head.appendChild(el('span', 'title', t.title));
    var kinds = { sql: 0, http: 0, log: 0 };
    t.events.forEach(function (e) { if (e.kind === 'sql') kinds.sql++; else if (e.kind.indexOf('http') === 0) kinds.http++; else if (e.kind === 'log') kinds.log++; });
    head.appendChild(el('span', 'counts', kinds.sql + ' SQL · ' + kinds.http + ' HTTP · ' + kinds.log + ' log'));
    head.appendChild(el('span', 'file', t.file || ''));
    head.appendChild(el('span', 'ms', ms(t.ms)));
    box.appendChild(head);
    var opened;
    head.onclick = function () {
      if (!opened) { opened = detail(t); box.appendChild(opened); } else { opened.hidden = !opened.hidden; }
    };
    box.dataset.search = haystack(t);
    list.appendChild(box);
  });
  document.getElementById('filter').oninput = function (ev) {
    var q = ev.target.value.toLowerCase();
    Array.prototype.forEach.call(list.children, function (box) { box.hidden = q !== '' && box.dataset.search.indexOf(q) < 0; });
  };
  var firstFailure = list.querySelector('.test.failed .head');
  if (firstFailure) firstFailure.click();
})();
`;
