#!/usr/bin/env node
// `pgspace list` / `pgspace clean`: the compiled CLI in the package; in the pgspace repository
// itself (no build), its TypeScript source through tsx.
try {
  await import('../dist/cli/spaces.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli/spaces.js')) throw err;
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../cli/spaces.ts', import.meta.url);
}
