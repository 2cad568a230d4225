import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import pg from 'pg';
import { startCluster, type EmbeddedCluster } from '../../internal/integration/embedded/cluster.js';
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
      'traced fixture fails after SQL and an HTTP call',
      'failed',
      'traced fixture passes quietly',
      'passed',
    ]);
    const texts = failing!.events.map((e) => `${e.kind} ${e.text}`);
    expect(texts).to.include('sql INSERT INTO hours (trainer_id, starts_at) VALUES ($1, now())');
    expect(
      texts.some((t) => /^http-out GET http:\/\/127\.0\.0\.1:\d+\/stock\?item=42 → 200$/.test(t)),
      texts.join('\n'),
    ).to.equal(true);
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
    const browser = await puppeteer.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      const file = pathToFileURL(path.join(dir, 'index.html')).href;
      await page.goto(file);
      expect(requested).to.deep.equal([file]);
      const first = await page.$eval('.test', (el) => ({
        classes: el.className,
        title: el.querySelector('.title')!.textContent,
        body: el.querySelector('.body')?.textContent ?? '',
      }));
      expect(first.classes).to.include('failed');
      expect(first.title).to.equal('traced fixture fails after SQL and an HTTP call');
      expect(first.body).to.include('INSERT INTO hours (trainer_id, starts_at) VALUES ($1, now())');
      expect(first.body).to.match(/GET http:\/\/127\.0\.0\.1:\d+\/stock\?item=42 → 200/);
      expect(first.body).to.include('space kept for debugging: pgs_traced_fixture_fails_after_sql');
      expect(first.body).to.include('(with its password: in the output of the run, and of npx pgspace list)');
      // Where the space came from: the passing test's space may come back recycled before the failing test asks.
      expect(first.body).to.match(/\((a fresh clone of its template|recycled: held before by "traced fixture passes quietly")\)/);
      expect(first.body).to.include('expected:');
      await page.type('#filter', 'passes quietly');
      const shown = await page.$$eval('.test', (els) =>
        els.filter((el) => !(el as unknown as { hidden: boolean }).hidden).map((el) => el.querySelector('.title')!.textContent),
      );
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

describe('the trace page, given secrets', function () {
  this.timeout(120_000);
  const ADMIN_PASSWORD = 'admin-pw-s3cr3t-9f2';
  let server: EmbeddedCluster;
  let dir: string;
  let html: string;
  let output: string;

  before(async function () {
    // A server of its own whose admin has a password, reached over TCP as a shared server is.
    server = await startCluster();
    const admin = new pg.Client(server.settings);
    await admin.connect();
    await admin.query(`ALTER ROLE postgres PASSWORD '${ADMIN_PASSWORD}'`);
    await admin.end();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgspace-trace-secrets-'));
    const adminUrl = `postgresql://postgres:${ADMIN_PASSWORD}@127.0.0.1:${server.settings.port}/postgres`;
    ({ output } = await runMocha('test/fixtures/secrets.fixture.ts', { PGSPACE_TRACE_DIR: dir, PGSPACE_ADMIN_URL: adminUrl }));
    html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  });

  after(async function () {
    rmSync(dir, { recursive: true, force: true });
    await server?.stop();
  });

  it('shows none of them: not in SQL, parameters, console lines, headers, bodies, URLs or the error', function () {
    const spacePassword = /the space's password: ([0-9a-f]{32})/.exec(output)?.[1];
    expect(spacePassword, output).to.be.a('string');
    expect(output, 'the console still shows the psql line whole').to.include(`:${spacePassword}@`);
    expect(html).to.not.include(spacePassword!);
    expect(html).to.not.include(ADMIN_PASSWORD);
    expect(html.match(/.{0,60}s3cr3t.{0,20}/g) ?? [], 'secrets on the page').to.deep.equal([]);
  });

  it('shows where each was, masked', function () {
    const [test] = pageData(path.join(dir, 'index.html')).tests;
    const all = JSON.stringify(test);
    for (const masked of [
      'postgresql://app:***@db.internal/app', // parameters, SQL text, console, error message
      `PASSWORD '***'`,
      'password=***',
      "the space's password: ***",
      "the admin's password: ***",
      'x-api-key: ***',
      'authorization: ***',
      'set-cookie: ***',
      'token=***',
      '"password":"***"',
      '"api_key":"***"',
    ])
      expect(all, masked).to.include(JSON.stringify(masked).slice(1, -1));
    expect(test!.error!.message).to.match(
      /^could not reach postgresql:\/\/app:\*\*\*@db\.internal\/app as postgresql:\/\/pgs_\w+:\*\*\*@127\.0\.0\.1/,
    );
    expect(test!.spaces[0]!.psql, "the page's psql line: its password is in the run's output").to.match(
      /^psql 'postgresql:\/\/pgs_\w+:\*\*\*@127\.0\.0\.1:\d+\//,
    );
  });
});

describe('the trace page, given too much', function () {
  this.timeout(120_000);
  let dir: string;

  before(function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgspace-trace-bounds-'));
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts each statement at 4 KB and each test at 1 MB, saying so, and lists the failing test first', async function () {
    const run = await runMocha('test/fixtures/trace-bounds.fixture.ts', { PGSPACE_TRACE_DIR: dir });
    expect(run.code, run.output).to.equal(1);
    const page = path.join(dir, 'index.html');
    expect(statSync(page).size, 'the page stays small: 20 MB of SQL went in').to.be.below(2 * 1024 * 1024);
    const [failing, passing] = pageData(page).tests;
    expect([failing!.state, failing!.title]).to.deep.equal(['failed', 'bounds fixture sends twenty 1 MB statements, then fails']);
    const statements = failing!.events.filter((e) => e.kind === 'sql' && e.text.startsWith('SELECT length'));
    expect(statements).to.have.length(20);
    for (const e of statements)
      expect(e.text)
        .to.have.length.below(4_200)
        .and.match(/x… \[cut at 4 KB\]$/);
    expect(passing!.cut, "events past the test's 1 MB, counted").to.be.above(300);
    expect(readFileSync(page, 'utf8')).to.include('more events not recorded: a test records at most 2,000 events and 1 MB.');
  });

  it('says so when no page can be written', async function () {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    const run = await runMocha('test/fixtures/passes.fixture.ts', { PGSPACE_TRACE_DIR: path.join(file, 'trace') });
    expect(run.code, run.output).to.equal(0);
    expect(run.output.trimEnd().split('\n').at(-1)).to.match(
      /^pgspace: no trace page for this run: ENOTDIR: not a directory, mkdir '.*a-file\/trace\/\.parts-/,
    );
  });
});
