/**
 * `pgspace shard`: checks SHARD before a script hands it to Vitest
 * (`--shard`) and node:test (`--test-shard`), which answer a malformed one
 * with a stack trace; exits 2 with one line instead. Prints nothing when
 * SHARD is well formed or unset.
 */
import { shardFromEnv } from '../shard/plan.js';

try {
  shardFromEnv();
} catch (err) {
  console.error(`pgspace: ${(err as Error).message}`);
  process.exitCode = 2;
}
