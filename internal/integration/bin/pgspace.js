#!/usr/bin/env node
// `pgspace <command>`: the compiled CLI in the package; in the pgspace repository itself (no
// build), its TypeScript source through tsx.
const USAGE = `usage: pgspace <command>

  list                      every space on this machine's embedded servers (or on PGSPACE_ADMIN_URL's server):
                            kept ones with their age and psql line, live ones with their test
  clean                     drops the spaces no running test run holds (kept ones too), stops the embedded
                            servers kept for debugging, deletes what pgspace left for this checkout (the next
                            run's seed, trace parts of interrupted runs), and says how much that freed
  trace [mocha|vitest|node-test]
                            prints where the last run's trace page is (without a runner: every page there is),
                            and opens the newest in a browser when there is a desktop
  shard                     checks SHARD=i/n, before a script hands it to Vitest or node:test
  help                      this text`;

const modules = { list: 'spaces', clean: 'spaces', trace: 'trace', shard: 'shard' };
const command = process.argv[2];
if (command === 'help' || command === '--help' || command === '-h') {
  console.log(USAGE);
} else if (!Object.hasOwn(modules, command ?? '')) {
  console.error(`pgspace: ${command === undefined ? 'no command given' : `unknown command ${JSON.stringify(command)}`}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  const cli = modules[command];
  try {
    await import(`../dist/cli/${cli}.js`);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(`dist/cli/${cli}.js`)) throw err;
    const { tsImport } = await import('tsx/esm/api');
    await tsImport(`../cli/${cli}.ts`, import.meta.url);
  }
}
