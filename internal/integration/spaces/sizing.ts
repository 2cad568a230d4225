/**
 * How many connections a run takes from its server, so that it can be sized
 * (README, "One Postgres for many builds") and its default cap fits.
 * Measured with --parallel --jobs 4, cap 10, on 2 cores: a peak of 14 to 16
 * admin connections (the formula's bound: 17) and 10 spaces' (one each).
 */
import os from 'node:os';

/**
 * Ready spaces kept per process and template (fewer when the run's cap is
 * smaller), and how many are made at once (one per core: making a space is
 * server CPU, mostly copying ~7 MB of system catalogs). Measured with `npm
 * run bench` on 2 cores: 4 ready spaces take acquire p50 from ~4 ms (2
 * ready) to under 1 ms; deeper pools only make spaces nobody uses at the end
 * of the run.
 */
export const POOL_SIZE = 4;
export const POOL_CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism()));

/** The admin connections of one test process: one per space made at once, one for the test taking a space, one for drops. */
export function adminConnections(concurrency = POOL_CONCURRENCY): number {
  return concurrency + 2;
}

/**
 * The most connections a run of `processes` test processes (mocha's
 * --jobs, Vitest's workers, node:test's files at once) holding up to `cap`
 * spaces takes, each space holding `perSpace` (its pool's, and a service's
 * the test builds on it): its lock connection, each process's admin
 * connections, and the spaces'. A process that builds a template of a schema
 * not listed in pgspace.config takes two more while it builds.
 */
export function runConnections(cap: number, processes: number, perSpace = 1): number {
  return 1 + processes * adminConnections() + cap * perSpace;
}
