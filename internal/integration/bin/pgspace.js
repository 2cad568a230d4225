#!/usr/bin/env node
// `pgspace list|clean|trace|shard`: the compiled CLI in the package; in the pgspace repository
// itself (no build), its TypeScript source through tsx.
const cli = ['trace', 'shard'].includes(process.argv[2]) ? process.argv[2] : 'spaces';
try {
  await import(`../dist/cli/${cli}.js`);
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes(`dist/cli/${cli}.js`)) throw err;
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(`../cli/${cli}.ts`, import.meta.url);
}
