#!/usr/bin/env node
// The watch-mode check: `npm run test:watch` (mocha) and `npm run test:watch:vitest`, each on a test
// file this script writes, edited as a user edits while the watcher runs:
//   1. the first run passes;
//   2. saving the test file re-runs it: same Postgres server (its start time), save-to-result measured;
//   3. a new migration: the template is rebuilt before the re-run, whose space has the new table;
//   4. a changed config.d template: the template is rebuilt again;
//   5. a failing test: the re-run fails and prints the psql line of the space it kept;
//   6. Ctrl-C: the watcher exits and its server is gone;
//   7. for comparison, the same file run once from the shell (a new process and server).
// Every wait polls the output with a deadline; whatever happens, the files it wrote are removed and
// the watcher's process group is killed. Exits 1 saying which step saw what.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { stopGroup } from './process-group.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const DEADLINE_MS = 120_000;
const migration = 'src/trainings/migrations/1999999999999_watch-check.ts';
const configFile = 'config.d/trainings.env';
const configBefore = readFileSync(configFile, 'utf8');

const watchers = [
  {
    name: 'mocha',
    script: 'test:watch',
    fresh: ['npx', 'mocha'],
    file: 'test/integration/zz-watch-check.test.ts',
    passed: /^\s*1 passing/m,
    failed: /^\s*1 failing/m,
    source: (round, fail) => `import { expect } from 'chai';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';

describe('watch check', function () {
  it('round ${round}', async function () {
    const space = await newSpace(this);
    const { rows } = await space.pool.query(
      "SELECT pg_postmaster_start_time()::text AS started, to_regclass('watch_check') IS NOT NULL AS migrated",
    );
    console.log('WATCH-CHECK ' + JSON.stringify({ round: ${round}, ...rows[0], config: space.config.trainings?.WATCH_CHECK ?? null }));
    expect(${fail ? 1 : 0}).to.equal(0);
  });
});
`,
  },
  {
    name: 'Vitest',
    script: 'test:watch:vitest',
    fresh: ['npx', 'vitest', 'run'],
    file: 'test/runners/vitest/zz-watch-check.test.ts',
    passed: /Tests\s+1 passed/,
    failed: /Tests\s+1 failed/,
    source: (round, fail) => `import { expect, it } from 'vitest';
import { newSpace } from '../../../internal/integration/runners/vitest.js';

it('watch check, round ${round}', async () => {
  const space = await newSpace();
  const { rows } = await space.pool.query(
    "SELECT pg_postmaster_start_time()::text AS started, to_regclass('watch_check') IS NOT NULL AS migrated",
  );
  console.log('WATCH-CHECK ' + JSON.stringify({ round: ${round}, ...rows[0], config: space.config.trainings?.WATCH_CHECK ?? null }));
  expect(${fail ? 1 : 0}).toBe(0);
});
`,
  },
];

/** Whether something listens on 127.0.0.1:port. */
function answers(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    }).on('error', () => resolve(false));
  });
}

/** What a check changed in the checkout, put back. */
function cleanUp(watcher) {
  rmSync(watcher.file, { force: true });
  rmSync(migration, { force: true });
  writeFileSync(configFile, configBefore);
}

async function check(watcher) {
  const { name } = watcher;
  const nonce = randomUUID(); // each watcher's changes new: a template that already exists is not built again
  let output = '';
  let failure;
  const fail = (message) => {
    failure ??= `watch check (${name}): ${message}`;
    throw new Error(failure);
  };
  /** Waits for `test` to hold on the output written after offset `from`; returns the end of what matched. */
  const waitFor = async (what, from, test) => {
    const until = Date.now() + DEADLINE_MS;
    for (;;) {
      const found = test(output.slice(from));
      if (found) return found;
      if (child.exitCode !== null || child.signalCode !== null)
        fail(`the watcher exited (${child.exitCode ?? child.signalCode}) while waiting for ${what}`);
      if (Date.now() > until) fail(`no ${what} within ${DEADLINE_MS / 1000} s`);
      await delay(50);
    }
  };
  /** The round's WATCH-CHECK line and the run's result line after it. */
  const roundResult = (round, result) => (text) => {
    if (result === watcher.passed && watcher.failed.test(text)) fail(`round ${round} failed where it should pass`);
    const line = new RegExp(`WATCH-CHECK (\\{"round":${round},.*\\})`).exec(text);
    if (!line || !result.test(text.slice(line.index))) return undefined;
    return JSON.parse(line[1]);
  };

  writeFileSync(watcher.file, watcher.source(1, false));
  const child = spawn('npm', ['run', '-s', watcher.script, '--', watcher.file], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  current = { child, watcher };
  // eslint-disable-next-line no-control-regex
  const plain = (d) => String(d).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  child.stdout.on('data', (d) => (output += plain(d)));
  child.stderr.on('data', (d) => (output += plain(d)));
  try {
    const first = await waitFor('first passing run', 0, roundResult(1, watcher.passed));
    if (first.migrated) fail('the first run already had the table only the check migration makes');

    // A save re-runs the test, on the same server.
    let from = output.length;
    const saved = performance.now();
    writeFileSync(watcher.file, watcher.source(2, false));
    const second = await waitFor('re-run after saving the test file', from, roundResult(2, watcher.passed));
    const saveToResult = performance.now() - saved;
    if (second.started !== first.started) fail(`the re-run ran on another server (started ${second.started}, first ${first.started})`);

    // A new migration: rebuilt template, the re-run's space has its table.
    from = output.length;
    writeFileSync(
      migration,
      "import type { MigrationBuilder } from 'node-pg-migrate';\n\nexport function up(pgm: MigrationBuilder): void {\n  pgm.sql('CREATE TABLE watch_check (id int) -- ${nonce}');\n}\n",
    );
    await waitFor('"built template" after the new migration', from, (t) => /pgspace: built template/.test(t));
    writeFileSync(watcher.file, watcher.source(3, false));
    const third = await waitFor('re-run after the migration', from, roundResult(3, watcher.passed));
    if (!third.migrated) fail('the re-run after a new migration ran on a space without its table (the template was not rebuilt)');
    if (third.started !== first.started) fail('the re-run after a new migration ran on another server');

    // A changed config.d template: rebuilt again, and the next space has it rendered.
    from = output.length;
    appendFileSync(configFile, `WATCH_CHECK=${nonce}\n`);
    await waitFor('"built template" after the config.d change', from, (t) => /pgspace: built template/.test(t));

    // A failing test (its space has the new config): its space kept, with the psql line to open it.
    from = output.length;
    writeFileSync(watcher.file, watcher.source(4, true));
    const fourth = await waitFor('the failing re-run', from, roundResult(4, watcher.failed));
    if (fourth.config !== nonce) fail(`the re-run after the config.d change rendered WATCH_CHECK=${fourth.config}, not the new ${nonce}`);
    const port = await waitFor("the kept space's psql line", from, (t) => /psql 'postgresql:\/\/[^@]+@127\.0\.0\.1:(\d+)\//.exec(t)?.[1]);

    // Ctrl-C: the watcher ends, and its server with it.
    process.kill(-child.pid, 'SIGINT');
    const until = Date.now() + 30_000;
    while (child.exitCode === null && child.signalCode === null) {
      if (Date.now() > until) fail('the watcher did not exit within 30 s of Ctrl-C');
      await delay(50);
    }
    while (await answers(Number(port))) {
      if (Date.now() > until) fail(`its Postgres (port ${port}) still answers after Ctrl-C`);
      await delay(50);
    }
    // What the save saves: the same file run the usual way, a new process (and server) each time.
    writeFileSync(watcher.file, watcher.source(5, false));
    const [command, ...args] = watcher.fresh;
    const started = performance.now();
    const fresh = spawnSync(command, [...args, watcher.file], {
      encoding: 'utf8',
      timeout: DEADLINE_MS,
      env: { ...process.env, NO_COLOR: '1' },
    });
    const freshRun = performance.now() - started;
    if (fresh.status !== 0)
      fail(`\`${[...watcher.fresh, watcher.file].join(' ')}\` exited ${fresh.status}:\n${fresh.stdout}${fresh.stderr}`);
    console.log(
      `watch check (${name}): passed; save to result ${(saveToResult / 1000).toFixed(2)} s ` +
        `(\`${watcher.fresh.join(' ')} <file>\` from the shell: ${(freshRun / 1000).toFixed(2)} s), one server across 4 runs, ` +
        'template rebuilt after a migration and a config.d change, the failing run printed its psql line, Ctrl-C stopped everything',
    );
    return true;
  } catch (err) {
    console.error(`${failure ?? err.stack}\n--- what the watcher printed ---\n${output}`);
    return false;
  } finally {
    await stopGroup(child);
    cleanUp(watcher);
  }
}

// Stopped itself (Ctrl-C, CI's timeout): put the checkout back and stop the watcher before going.
let current;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, async () => {
    if (current) {
      await stopGroup(current.child);
      cleanUp(current.watcher);
    }
    process.exit(1);
  });
}

let ok = true;
for (const watcher of watchers) {
  if (process.argv[2] && process.argv[2] !== watcher.name) continue;
  ok = (await check(watcher)) && ok;
}
process.exit(ok ? 0 : 1);
