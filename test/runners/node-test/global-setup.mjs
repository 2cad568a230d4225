// node:test's main process does not apply `--import tsx`, and the helper's TypeScript says
// `.js` in its imports, so this module loads it through tsx's API. A project using the
// compiled package points --test-global-setup at its node-test-setup.js directly.
import { tsImport } from 'tsx/esm/api';

// Imported once: each tsImport call loads a fresh copy of the modules, which would not know the run.
const loaded = tsImport('../../../internal/integration/runners/node-test-setup.ts', import.meta.url);
const hooks = () => loaded;

export async function globalSetup() {
  await (await hooks()).globalSetup();
}

export async function globalTeardown() {
  await (await hooks()).globalTeardown();
}
