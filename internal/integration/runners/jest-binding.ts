/** What the Jest environment puts in each test file's sandbox (see jest-environment.ts and jest-sandbox/index.js). */
import type { Space } from '../session/space.js';
import type { NewSpaceOptions } from './test-space.js';

/** The sandbox global under which the environment leaves newSpace(). */
export const JEST_GLOBAL = '__pgspace_jest__';

export interface JestBinding {
  newSpace(options?: NewSpaceOptions): Promise<Space>;
}
