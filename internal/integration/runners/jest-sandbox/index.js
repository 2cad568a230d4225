'use strict';
// pgspace/jest, loaded inside each Jest test file's sandbox: plain CommonJS, so it loads in every
// way Jest runs TypeScript (ts-jest, @swc/jest, babel, native ESM). The spaces live in the test
// environment (jest-environment.js, beside this folder), which leaves newSpace() in the sandbox's global.
const KEY = '__pgspace_jest__';

/**
 * Gives the running test a space of its own: dropped or recycled when the test passes, kept with a
 * psql line on stderr when it fails.
 */
function newSpace(options) {
  const binding = globalThis[KEY];
  if (!binding) {
    const err = new Error(
      "newSpace() needs pgspace's Jest environment: in jest.config, testEnvironment: 'pgspace/jest-environment', " +
        "globalSetup: 'pgspace/jest-setup', globalTeardown: 'pgspace/jest-teardown'.",
    );
    err.code = 'misuse';
    return Promise.reject(err);
  }
  return binding.newSpace(options);
}

exports.newSpace = newSpace;
