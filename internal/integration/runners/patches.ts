/**
 * Every place pgspace patches another package, or reads what that package
 * does not publish, in one list, with the versions it was checked against.
 * A runner binding checks its entries when it loads: a private that a new
 * version took away stops the run at once, saying what and where, rather
 * than failing in some test later.
 */
import pg from 'pg';

/** One patch or private read. */
export interface Patch {
  /** The package and the versions it was checked against. */
  pkg: string;
  /** What is patched or read. */
  what: string;
  /** Which of pgspace's modules does it, and why. */
  where: string;
  /** Whether it is still there. */
  present(): boolean;
}

const isFunction = (value: unknown) => typeof value === 'function';

/** pg: the helper's own `pg` (the trace wraps the project's copy too, the same way). */
export function pgPatches(): Patch[] {
  const Client = pg.Client.prototype as unknown as Record<string, unknown>;
  const client = new pg.Client() as unknown as Record<string, unknown>; // not connected: no I/O
  const pkg = 'pg 8.23.1';
  return [
    {
      pkg,
      what: 'Client#connect, wrapped',
      where: 'client-guard: notes every connection to a space, to name and close leaks',
      present: () => isFunction(Client.connect),
    },
    {
      pkg,
      what: 'Client#query, wrapped',
      where: "sql: every statement into the running test's trace",
      present: () => isFunction(Client.query),
    },
    {
      pkg,
      what: 'client._ending (private)',
      where: 'client-guard: a client already ending is not a leak',
      present: () => '_ending' in client,
    },
    {
      pkg,
      what: 'client.processID',
      where: "session: the server pid of a pool's sessions, to tell them from strangers'",
      present: () => 'processID' in client,
    },
    {
      pkg,
      what: 'client.connection.stream (private)',
      where: "run: destroys the run's lock connection at once when its server is gone",
      present: () => isFunction((client.connection as { stream?: { destroy?: unknown } } | undefined)?.stream?.destroy),
    },
  ];
}

/** mocha: the plugin's hold on a run. */
export function mochaPatches(MochaClass: typeof Mocha): Patch[] {
  const proto = MochaClass.prototype as unknown as Record<string, unknown>;
  const runner = MochaClass.Runner.prototype as unknown as Record<string, unknown>;
  const pkg = 'mocha 11.8.0';
  return [
    {
      pkg,
      what: 'Mocha#run, wrapped',
      where: 'mocha-runner: follows each run (failures, the trace, stopping a broken run)',
      present: () => isFunction(proto.run),
    },
    {
      pkg,
      what: 'Mocha#loadFiles, #loadFilesAsync and #run, wrapped; mocha.files, rewritten',
      where: "mocha-shard: a shard's files, before they load",
      present: () => isFunction(proto.loadFiles) && isFunction(proto.loadFilesAsync),
    },
    {
      pkg,
      what: 'Runner#fail, wrapped',
      where: 'mocha-runner: any failure value becomes one mocha can report',
      present: () => isFunction(runner.fail),
    },
    {
      pkg,
      what: 'Runner#_uncaught (private), wrapped',
      where: 'mocha-runner: the same, for what is thrown outside tests',
      present: () => isFunction(runner._uncaught),
    },
    {
      pkg,
      what: 'Mocha.utils.stringify',
      where: 'mocha-runner: whether mocha can print a failure value',
      present: () => isFunction((MochaClass as unknown as { utils?: { stringify?: unknown } }).utils?.stringify),
    },
    // Read when there, without which only a parallel run's early stop is lost: not checked.
    {
      pkg,
      what: "ParallelBufferedRunner's class name and _state (private)",
      where: 'mocha-runner, mocha: a parallel run bails like --bail',
      present: () => true,
    },
  ];
}

/** Vitest: which test is running. */
export function vitestPatches(TestRunner: { getCurrentTest?: unknown }): Patch[] {
  return [
    {
      pkg: 'vitest 5.1.1',
      what: 'TestRunner.getCurrentTest',
      where: 'vitest: newSpace() finds its test',
      present: () => isFunction(TestRunner.getCurrentTest),
    },
  ];
}

/** Stdout and stderr, for the record. */
export const processPatches: Patch[] = [
  {
    pkg: 'node',
    what: 'process.stdout.write and process.stderr.write, wrapped',
    where: 'logs: what a test prints, into its trace (still printed)',
    present: () => true,
  },
];

/** What is gone of `patches`, as lines; [] when all is there. */
export function missing(patches: Patch[]): string[] {
  return patches.filter((p) => !p.present()).map((p) => `${p.what} (checked with ${p.pkg}), needed by ${p.where}`);
}

/**
 * Stops the process, saying what is gone, when anything of `patches` is: the
 * installed versions no longer have what pgspace relies on.
 */
export function requirePatches(patches: Patch[]): void {
  const gone = missing(patches);
  if (gone.length === 0) return;
  process.stderr.write(
    `pgspace: this version of a package pgspace works with has changed what pgspace relies on:\n${gone.map((g) => `  - ${g}`).join('\n')}\n` +
      '  Install the versions named, or a pgspace release that supports yours.\n',
  );
  process.exit(2);
}
