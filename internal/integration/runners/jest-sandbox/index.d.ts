// Types of pgspace/jest (index.js).
import type { NewSpaceOptions, Space } from '../../index.js';

/**
 * Gives the running test a space of its own: dropped or recycled when the test passes, kept with a
 * psql line on stderr when it fails. Needs pgspace's Jest environment (see the package's README).
 */
export declare function newSpace(options?: NewSpaceOptions): Promise<Space>;
export type { NewSpaceOptions, Space };
