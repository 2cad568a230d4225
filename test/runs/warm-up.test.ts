import { expect } from 'chai';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startCluster, type EmbeddedCluster } from '../../internal/integration/embedded/cluster.js';
import { serverUrl } from '../../internal/integration/server/server.js';
import { CHILD_TRACE_DIR, root, runCommand, runMocha } from '../support/run-mocha.js';

// No test pays for infrastructure inside its own timeout: test/fixtures/slow-schema's schemas take
// seconds to build, as templates do on a busy build agent. Global setup builds the project's
// schema and makes the first spaces before the tests start, saying so; a test of a schema only it
// uses waits outside its timeout (mocha), or fails saying what it waited for (Vitest, node:test),
// never with a bare runner timeout. Each runner on a server of this describe's own.
const fixture = path.join(root, 'test/fixtures/slow-schema');

describe('a run whose templates are slow to build', function () {
  this.timeout(120_000);
  let server: EmbeddedCluster;

  before(async function () {
    server = await startCluster();
  });

  after(async function () {
    await server?.stop();
  });

  /** The environment of a run: this describe's server, slow schemas that are new templates, traces aside. */
  const env = (slowMs: number) => ({
    PGSPACE_ADMIN_URL: serverUrl(server.settings),
    PGSPACE_SLOW_MS: String(slowMs),
    PGSPACE_SLOW_SALT: randomBytes(6).toString('hex'),
    PGSPACE_TRACE_DIR: CHILD_TRACE_DIR,
  });

  /** What global setup says while it builds and when it is done. */
  const warmedUp = (output: string) => {
    expect(output).to.match(
      /pgspace: getting the run ready before its tests start \(\d+\.\d s so far\): the templates of 1 schema\(s\), then the first spaces\n/,
    );
    expect(output).to.match(/pgspace: the run is ready after \d+\.\d s\n/);
  };

  it("mocha (2 s timeout, 3 s builds): both tests pass; the unlisted schema's build is kept out of its test's timeout", async function () {
    const run = await runMocha(path.join(fixture, 'slow.mocha.ts'), env(3_000), { cwd: fixture });
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.match(/2 passing/);
    warmedUp(run.output);
  });

  it("Vitest (5 s timeout, 6 s builds): the default schema's test passes; the unlisted one's fails saying it waited for its template", async function () {
    const run = await runCommand(
      process.execPath,
      [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', path.join(fixture, 'vitest.config.ts')],
      {
        cwd: fixture,
        env: env(6_000),
      },
    );
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.match(/1 failed \| 1 passed/);
    expect(run.output).to.match(
      /newSpace\(\) gave up: the test's timeout \(5000 ms\) is near while it waited for its schema's template to be built \(a schema only some tests use is built when the first of them asks; list it in `schemas` in pgspace\.config/,
    );
    expect(run.output).not.to.match(/Test timed out/);
    warmedUp(run.output);
  });

  it("node:test (2 s timeout, 3 s builds): the default schema's test passes; the unlisted one's timeout comes with what it waited for", async function () {
    const run = await runCommand(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-timeout=2000',
        `--test-global-setup=${path.join(root, 'test/runners/node-test/global-setup.mjs')}`,
        'slow.node-test.ts',
      ],
      { cwd: fixture, env: env(3_000) },
    );
    expect(run.code, run.output).to.equal(1);
    expect(run.output).to.match(/✔ gets a space of the default schema/);
    expect(run.output).to.match(
      /gets a space of a schema only it uses: newSpace\(\) gave up: the test was stopped \(its timeout, or the run ending\) while it waited for its schema's template to be built/,
    );
    warmedUp(run.output);
  });
});
