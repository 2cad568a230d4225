import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { runMocha } from '../support/run-mocha.js';
import { pageData } from '../support/trace-page.js';

const FIXTURE = 'test/fixtures/traced.fixture.ts';

/** The Chromium to drive: $PGSPACE_CHROMIUM, else the first of the usual names on PATH. */
function chromium(): string | undefined {
  if (process.env.PGSPACE_CHROMIUM) return process.env.PGSPACE_CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      /* not this one */
    }
  }
  return undefined;
}

describe('the trace page', function () {
  this.timeout(120_000);
  let dir: string;
  let output: string;
  let code: number | null;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgspace-trace-'));
    ({ code, output } = await runMocha(FIXTURE, { PGSPACE_TRACE_DIR: dir, NO_COLOR: '1' }));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is written after a run, and the console output ends with its path', function () {
    expect(code, output).to.equal(1);
    const page = path.join(dir, 'index.html');
    expect(existsSync(page), output).to.equal(true);
    expect(output.trimEnd().split('\n').at(-1)).to.equal(`pgspace: what each test did (SQL, HTTP, logs), 1 failing first: ${page}`);
  });

  it('lists the failing test first, with its SQL, its HTTP call (credentials masked) and its log line', function () {
    const [failing, passing] = pageData(path.join(dir, 'index.html')).tests;
    expect([failing!.title, failing!.state, passing!.title, passing!.state]).to.deep.equal([
      'traced fixture fails after SQL and an HTTP call', 'failed', 'traced fixture passes quietly', 'passed',
    ]);
    const texts = failing!.events.map((e) => `${e.kind} ${e.text}`);
    expect(texts).to.include('sql INSERT INTO hours (trainer_id, starts_at) VALUES ($1, now())');
    expect(texts.some((t) => /^http-out GET http:\/\/127\.0\.0\.1:\d+\/stock\?item=42 → 200$/.test(t)), texts.join('\n')).to.equal(true);
    expect(texts).to.include('log console.log: stock answered 200');
    const sql = failing!.events.find((e) => e.kind === 'sql' && e.text.startsWith('INSERT'))!;
    expect(sql.detail).to.deep.include({ parameters: '$1 = traced-trainer', rows: 'INSERT 1' });
    expect(JSON.stringify(failing)).not.to.include('secret-token');
  });

  it('shows all that in headless Chromium, from disk, loading nothing else', async function () {
    const executablePath = chromium();
    if (!executablePath) {
      console.log('      (no Chromium installed: apt-get install chromium, or set PGSPACE_CHROMIUM; skipped)');
      this.skip();
    }
    const puppeteer = (await import('puppeteer-core')).default;
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    const browser = await puppeteer.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const file = pathToFileURL(path.join(dir, 'index.html')).href;
      await page.goto(file);
      expect(requested).to.deep.equal([file]);
      const first = await page.$eval('.test', (el) => ({ classes: el.className, title: el.querySelector('.title')!.textContent, body: el.querySelector('.body')?.textContent ?? '' }));
      expect(first.classes).to.include('failed');
      expect(first.title).to.equal('traced fixture fails after SQL and an HTTP call');
      expect(first.body).to.include('INSERT INTO hours (trainer_id, starts_at) VALUES ($1, now())');
      expect(first.body).to.match(/GET http:\/\/127\.0\.0\.1:\d+\/stock\?item=42 → 200/);
      expect(first.body).to.include('space kept for debugging: pgs_traced_fixture_fails_after_sql');
      expect(first.body).to.include('expected:');
      await page.type('#filter', 'passes quietly');
      const shown = await page.$$eval('.test', (els) => els.filter((el) => !(el as unknown as { hidden: boolean }).hidden).map((el) => el.querySelector('.title')!.textContent));
      expect(shown).to.deep.equal(['traced fixture passes quietly']);
    } finally {
      await browser.close();
    }
  });

  it('is not written with PGSPACE_TRACE=0', async function () {
    const off = mkdtempSync(path.join(os.tmpdir(), 'pgspace-trace-off-'));
    try {
      const run = await runMocha(FIXTURE, { PGSPACE_TRACE_DIR: off, PGSPACE_TRACE: '0' });
      expect(run.code, run.output).to.equal(1);
      expect(existsSync(path.join(off, 'index.html'))).to.equal(false);
      expect(run.output).not.to.include('what each test did');
    } finally {
      rmSync(off, { recursive: true, force: true });
    }
  });
});
