/**
 * pgspace for `node:test`. Run with the global setup (Node 24+):
 *
 *     node --test --test-global-setup=<this folder>/node-test-setup.ts …
 *
 * and in a test: `const space = await newSpace(t)`.
 */
import { after, type TestContext } from 'node:test';
import { closeSession } from '../core/session.js';
import type { Space } from '../core/space.js';
import { holdSpace, type NewSpaceOptions } from './test-space.js';

// Each test file runs in a process of its own: close its pools at the end, or they keep it alive.
after(() => closeSession());

/**
 * Gives test `t` a fresh space (see Space): dropped when the test passes,
 * kept, with a psql line on stderr, when it fails.
 *
 *     test('saves a training', async (t) => {
 *       const space = await newSpace(t);
 *     });
 */
export function newSpace(t: TestContext, options: NewSpaceOptions = {}): Promise<Space> {
  // `passed` is set before after-hooks run (Node 22+), though @types/node lists it for suites only.
  return holdSpace(t.fullName, options, (release) => t.after((ctx) => release(!(ctx as TestContext & { passed: boolean }).passed)));
}

export type { NewSpaceOptions };
