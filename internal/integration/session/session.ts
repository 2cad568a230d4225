/**
 * The helper's state in one process (the mocha process, or one parallel
 * worker): the admin pool, the templates it has ensured, a warm pool of
 * ready spaces per template, and the queue of spaces to drop. The run's
 * global setup tells every process which server and run to use through two
 * environment variables.
 */
import { createHash } from 'node:crypto';
import inspector from 'node:inspector';
import path from 'node:path';
import pg from 'pg';
import { describeCluster, isClusterDir } from '../embedded/diagnosis.js';
import { closeClients, disarm, installClientGuard, openClients, type OpenClient } from './client-guard.js';
import { loadConfigTemplates, type ConfigTemplate } from '../config/config-templates.js';
import { isConnectionLost, isServerFull, isTooManyConnections } from '../common/connection-errors.js';
import { randomPassword } from '../common/credentials.js';
import { PgspaceError, messageOf } from '../common/errors.js';
import type { Migrator } from '../templates/migrator.js';
import { pollUntil, withDeadline } from '../common/poll.js';
import { projectConfig } from '../config/project-config.js';
import { breakRun, brokenHeadline, holdsHeartbeat, runBroken } from './run-health.js';
import { SerialQueue } from './serial-queue.js';
import { ADMIN_URL_VAR, clientConfig, parseServerUrl, type ServerSettings } from '../server/server.js';
import { jsState, lend, openPool, sameState, spaceFacts, type LiveSpace, type SpacePool } from './space.js';
import { keptSessionsSafe, recycleBlocker, reissueSpace, renewSession, resetSpace } from '../spaces/recycle.js';
import { adoptReady, holdings, keptBy, markReady, nextLineage, reissueSql, takeReady, type Lineage } from '../server/registry.js';
import {
  createSpace,
  createStrategy,
  dropSpace,
  emptyDatabase,
  keepSpace,
  type CreateStrategy,
  type SpaceIdentity,
} from '../spaces/spaces.js';
import { CAP_WAIT_MS, capError, MAX_SPACES_VAR, refusedAtCap, spaceCap, type SpaceCap } from '../spaces/space-cap.js';
import { ensureTemplate, templateName } from '../templates/template.js';
import { adminConnections, POOL_CONCURRENCY, POOL_SIZE } from '../spaces/sizing.js';
import { acquiring, released } from './events.js';
import { WarmPool } from './warm-pool.js';

/** Set by global setup: the id of the current test run (see locks.ts). */
export const RUN_ID_VAR = 'PGSPACE_RUN_ID';

export { POOL_CONCURRENCY, POOL_SIZE } from '../spaces/sizing.js';

/** Most spaces one run keeps for debugging: past it, the oldest are dropped (a suite that fails everywhere must not fill the server). */
export const MAX_KEPT = 20;

/** How long keeping a failing test's space may take before the space is dropped instead. */
const KEEP_DEADLINE_MS = 10_000;

/** A space a test holds, with what is needed to drop, keep or recycle it. */
export interface HeldSpace extends SpacePool {
  /** What the test is given: its pool is `pool`, lent until revoke(). */
  space: LiveSpace;
  revoke(): void;
  /** The schema it was made from (a recycled space goes back to that schema's warm pool). */
  migrator: Migrator;
  /** The tests that held its database before (none: a fresh clone; see recycle.ts): the latest few, and how many in all. */
  heldBefore: Lineage;
}

const FRESH: Lineage = { latest: [], count: 0 };

/** PGSPACE_RECYCLE=0 drops every space after its test instead of recycling the ones that can be. */
const RECYCLE = process.env.PGSPACE_RECYCLE !== '0';

/** What became of a test's spaces: lines for its failure, and warnings to print. */
export interface Released {
  /** For a failing test: each kept space with its psql line, or why it could not be kept. */
  notes: string[];
  /** For a passing test: connections it left open (pgspace closed them). */
  warnings: string[];
}

/** Whether a space is a fresh clone or recycled, and from which tests: for the trace and the kept-space note. */
export function lineage({ heldBefore: { latest, count } }: HeldSpace): string {
  if (count === 0) return 'a fresh clone of its template';
  const more = count > latest.length ? ` and ${count - latest.length} earlier` : '';
  return `recycled: held before by ${latest.map((t) => JSON.stringify(t)).join(', ')}${more}`;
}

/** The server pids of a space pool's connections. */
function ownPids(watch: SpacePool['watch']): number[] {
  return [...watch.own].map((c) => (c as pg.Client & { processID?: number }).processID ?? 0);
}

/** Per-process helper state; see the module comment. */
export class Session {
  readonly admin: pg.Pool;
  private strategy?: Promise<CreateStrategy>;
  private cap?: Promise<SpaceCap>;
  /** Per config directory ('' for the project's): its templates. */
  private readonly configTemplates = new Map<string, Promise<ConfigTemplate[]>>();
  private readonly templates = new Map<Migrator, Promise<string>>();
  /** Schemas whose template is being built (or checked) now. */
  private readonly building = new Set<Migrator>();
  private readonly pools = new Map<Migrator, WarmPool<HeldSpace>>();
  /** Per schema: why its spaces cannot be recycled, or undefined when they can (asked of the first space made). */
  private readonly blockers = new Map<Migrator, Promise<string | undefined>>();
  /** Per schema: whether its spaces' sessions may be kept warm for later tests (see keptSessionsSafe); unknown: they end. */
  private readonly sessionsKept = new Map<Migrator, boolean>();
  private readonly drops = new SerialQueue();
  /** Spaces given to tests and not yet released. */
  private inUse = 0;

  constructor(
    readonly server: ServerSettings,
    readonly run: number,
    private readonly poolSize = POOL_SIZE,
    private readonly poolConcurrency = POOL_CONCURRENCY,
    /** Whether passing tests' spaces are recycled (see recycle.ts) rather than dropped. */
    private readonly recycling = RECYCLE,
  ) {
    installClientGuard();
    this.admin = new pg.Pool({ ...clientConfig(server), max: adminConnections(poolConcurrency) });
    // A lost connection fails the query in progress, which is where it is handled; the pool replaces
    // idle clients. The per-client listener matters for clients in use, which the pool leaves unlistened.
    this.admin.on('error', () => undefined);
    this.admin.on('connect', (client) => client.on('error', () => undefined));
  }

  /** The config templates of `migrator`'s spaces: its own directory (a test database's), else the project's config.d; read and checked once per session. */
  config(migrator: Migrator): Promise<ConfigTemplate[]> {
    const own = migrator.configDir;
    const key = own === undefined ? '' : path.resolve(own);
    let templates = this.configTemplates.get(key);
    if (!templates) {
      templates =
        own === undefined
          ? projectConfig().then(({ configDir }) => (configDir ? loadConfigTemplates(configDir) : []))
          : loadConfigTemplates(key, { required: true });
      this.configTemplates.set(key, templates);
    }
    return templates;
  }

  /**
   * The name of `migrator`'s template, built if need be: by global setup for
   * the project's schemas (see warm-up.ts), else when a test first asks for
   * the schema. A failed build is not retried in this process: every test of
   * that schema fails at once with the same message.
   */
  template(migrator: Migrator): Promise<string> {
    let name = this.templates.get(migrator);
    if (!name) {
      this.building.add(migrator);
      name = this.buildTemplate(migrator).finally(() => this.building.delete(migrator));
      name.catch(() => undefined); // each test awaiting it sees the error; none is left unhandled
      this.templates.set(migrator, name);
    }
    return name;
  }

  private async buildTemplate(migrator: Migrator): Promise<string> {
    const configHash = createHash('sha256');
    for (const t of await this.config(migrator)) configHash.update(`${t.name}\0${t.text}\0`);
    const name = await this.withAdmin((c) => templateName(c, migrator, configHash.digest('hex')));
    await ensureTemplate(this.server, name, migrator);
    return name;
  }

  private async withAdmin<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.admin.connect();
    try {
      return await fn(client);
    } finally {
      client.release();
    }
  }

  /** Throws if the run is already known to be broken: no point in touching the server. */
  private assertUsable(): void {
    if (runBroken()) throw new PgspaceError('run-broken', `the run cannot go on: ${brokenHeadline()}`);
  }

  /**
   * Turns a failure to reach or use the server into one that says what to do.
   * A full disk breaks the whole run (said once, see run-health.ts); a lost
   * server is reported by the process holding the run's lock, with the
   * server's log, and stops any other process (a parallel worker) at once.
   */
  private async explain(err: unknown): Promise<unknown> {
    const where = `Postgres at ${this.server.host}:${this.server.port}`;
    if (isTooManyConnections(err)) {
      const max = await this.withAdmin((c) => c.query<{ max: string }>(`SELECT current_setting('max_connections') AS max`)).then(
        (r) => r.rows[0]!.max,
        () => '?',
      );
      const ready = [...this.pools.values()].reduce((n, p) => n + p.readyCount, 0);
      return new PgspaceError(
        'no-connection-left',
        `${where} has no connection left (max_connections = ${max}); this process holds ${ready + this.inUse} space(s) ` +
          `(${this.inUse} given to tests, ${ready} ready in its warm pool) and up to ${adminConnections(this.poolConcurrency)} admin connections. ` +
          `A run of N test processes capped at ${MAX_SPACES_VAR} spaces takes up to 1 + N × ${adminConnections(this.poolConcurrency)} + ${MAX_SPACES_VAR} × (connections per space), ` +
          "and the server keeps superuser_reserved_connections for superusers: lower PGSPACE_MAX_SPACES or the test processes at once, or raise the server's max_connections.",
      );
    }
    if (isServerFull(err)) {
      const details = isClusterDir(this.server.host) ? `\n  ${await describeCluster(this.server.host)}` : '';
      breakRun(`pgspace: ${where} cannot write any more: ${messageOf(err)}.${details}\n  The run stops here.`);
      return new PgspaceError('server-full', `${where} is full: ${messageOf(err)}`);
    }
    if (isConnectionLost(err)) {
      // A parallel worker stops its own file at once; the main process says what happened, with the server's log.
      if (!holdsHeartbeat()) breakRun(`pgspace: lost the connection to ${where} (${messageOf(err)}); this worker stops here.`);
      return new PgspaceError('connection-lost', `lost the connection to ${where}: ${messageOf(err)}`);
    }
    return err;
  }

  /** How this server creates spaces, and the run's cap: asked once. */
  private settings(): Promise<[CreateStrategy, SpaceCap]> {
    this.strategy ??= this.withAdmin(createStrategy);
    this.cap ??= this.withAdmin(spaceCap);
    return Promise.all([this.strategy, this.cap]);
  }

  /**
   * A ready space of `migrator`'s schema for this process's warm pool, with a
   * connection already open, and marked ready in the registry: until a test
   * takes it, any process of the run may (a space held back from a test that
   * needs one would waste the run's cap). First a ready space nobody is
   * connected to (made by global setup, or left by a test process that
   * ended); else a new one, within the cap. For a test waiting with none on
   * its way (`forTaker`), at the cap: one another process keeps ready, or the
   * place of a ready space of another schema. Undefined when the cap allows
   * none now.
   */
  private async make(migrator: Migrator, forTaker: boolean): Promise<HeldSpace | undefined> {
    this.assertUsable();
    try {
      const [template, [strategy, cap]] = await Promise.all([this.template(migrator), this.settings()]);
      const adopt = (options?: { warm?: boolean; others?: boolean }) => this.withAdmin((c) => adoptReady(c, this.run, template, options));
      const create = () =>
        this.withAdmin((c) => createSpace(c, template, this.run, strategy, cap.max)).then(
          (id) => ({ ...id, lineage: FRESH }),
          (err: unknown) => {
            if (refusedAtCap(err)) return undefined;
            throw err;
          },
        );
      let found = (await adopt()) ?? (await create());
      if (!found && forTaker) {
        // A space another process keeps warm: its sessions go first, so that only this process's are in it.
        found = await adopt({ warm: true });
        if (found) await this.withAdmin((c) => emptyDatabase(c, found!.name, 0));
      }
      if (!found && forTaker) {
        const other = await adopt({ warm: true, others: true });
        if (other)
          found = await this.withAdmin((c) => emptyDatabase(c, other.name, 0).then(() => dropSpace(c, this.server, other.name))).then(
            create,
          );
      }
      if (!found) return undefined;
      const held = await this.open(found, migrator, found.lineage);
      await this.checkRecyclable(migrator, template, held);
      await this.withAdmin((c) => markReady(c, held.space.name, held.space.password));
      return held;
    } catch (err) {
      throw await this.explain(err);
    }
  }

  /** Asks the first space of a schema whether its spaces can be recycled (said once per schema and process when not). */
  private async checkRecyclable(migrator: Migrator, template: string, held: HeldSpace): Promise<void> {
    if (!this.recycling || this.blockers.has(migrator)) return;
    const blocker = held.pool.connect().then(async (c) => {
      try {
        const why = await recycleBlocker(c);
        // Said once per schema and process: it is why such a suite runs slower.
        if (why) process.stderr.write(`pgspace: spaces of template ${template} are dropped after each test, not recycled: ${why}\n`);
        // Asked of a fresh clone, before any test could change what is asked; not asked again if it fails (sessions then end).
        if (!why)
          await keptSessionsSafe(c).then(
            (safe) => this.sessionsKept.set(migrator, safe),
            () => undefined,
          );
        return why;
      } finally {
        c.release();
      }
    });
    this.blockers.set(
      migrator,
      blocker.catch((err: unknown) => `asking the template failed: ${messageOf(err)}`),
    );
    await blocker.catch(() => undefined);
  }

  /** Opens the pool of space `id` (of `migrator`'s schema), with one connection made. */
  private async open(id: SpaceIdentity, migrator: Migrator, heldBefore: Lineage): Promise<HeldSpace> {
    const opened = openPool(this.server, id);
    const held = { ...opened, ...lend(this.server, id, await this.config(migrator), opened), migrator, heldBefore };
    try {
      (await held.pool.connect()).release();
    } catch (err) {
      await this.discard(held).catch(() => undefined);
      throw err;
    }
    return held;
  }

  /**
   * This process's warm pool of `migrator`'s spaces, made on first use. It
   * keeps fewer ready than the run's cap (a test holds one): a run capped at
   * one space makes none ahead. `ahead` sets how many instead, up to the cap
   * (global setup holds none).
   */
  private async pool(migrator: Migrator, ahead?: number): Promise<WarmPool<HeldSpace>> {
    const [, cap] = await this.settings();
    let pool = this.pools.get(migrator);
    if (!pool) {
      const source = {
        make: (forTaker: boolean) => this.make(migrator, forTaker),
        putDown: (held: HeldSpace) => this.putDown(held),
        starved: async (waitedMs: number) =>
          capError(cap, waitedMs, await this.withAdmin((c) => holdings(c, this.run)).catch(() => ({ tests: [], ready: 0, busy: 0 }))),
      };
      const size = ahead === undefined ? Math.min(this.poolSize, cap.max - 1) : Math.min(ahead, cap.max);
      pool = new WarmPool(source, size, this.poolConcurrency, CAP_WAIT_MS);
      this.pools.set(migrator, pool);
    }
    return pool;
  }

  /**
   * Makes `migrator`'s template and this process's first ready spaces before
   * a test asks (`ahead` of them: see pool). Never fails: what went wrong is
   * for the tests of that schema to report.
   */
  async warm(migrator: Migrator, ahead?: number): Promise<void> {
    await this.pool(migrator, ahead).then(
      (p) => p.warm(),
      () => undefined,
    );
  }

  /** What an acquire of `migrator`'s schema waits for now, for a test that cannot wait any longer. */
  waitingFor(migrator: Migrator): string {
    if (this.building.has(migrator))
      return "its schema's template to be built (a schema only some tests use is built when the first of them asks; list it in `schemas` in pgspace.config to build it before the tests start)";
    if (this.pools.get(migrator)?.refused) return 'the run to give a space back: it holds as many as its cap (PGSPACE_MAX_SPACES) allows';
    return 'a space to be made (the server is slow to answer)';
  }

  /** Hands a ready space to the test titled `title`, recording the title on it. */
  async acquire(migrator: Migrator, title: string): Promise<HeldSpace> {
    this.assertUsable();
    const acquired = acquiring();
    const pool = await this.pool(migrator).catch(async (err: unknown) => {
      throw await this.explain(err);
    });
    for (;;) {
      const held = await pool.take();
      let taken: boolean;
      try {
        taken = await this.withAdmin((c) => takeReady(c, held.space.name, title));
      } catch (err) {
        this.dropLater(held);
        throw await this.explain(err);
      }
      if (!taken) {
        // Ready for any process of the run, it went to another (which ended this one's sessions in it).
        void this.putDown(held);
        continue;
      }
      this.inUse++;
      // A session that logs in after this may carry the test's ALTER ROLE … SET; what the test leaves on these objects is seen against this.
      held.watch.before = new Set(held.watch.own);
      held.watch.states = new Map([held.pool, ...held.watch.before].map((o) => [o, jsState(o)]));
      acquired({ name: held.space.name, database: held.space.database, origin: lineage(held) });
      // Paused at a breakpoint, the test's space is what one wants to look at: say how to get in.
      if (inspector.url())
        process.stderr.write(`\npgspace: "${title}" has space ${held.space.name} (for the debugger):\n  ${held.space.psql}\n`);
      return held;
    }
  }

  /** Lets go of a ready space without dropping it: it stays in the registry, ready for the run's other processes. */
  private async putDown({ space, pool }: HeldSpace): Promise<void> {
    disarm(space.database);
    await pool.end().catch(() => undefined);
  }

  private async discard({ space, pool }: HeldSpace): Promise<void> {
    disarm(space.database); // its sessions are ended under whoever still holds them
    void pool.end().catch(() => undefined); // not awaited: a client the test never released must not hang us
    await this.withAdmin((c) => dropSpace(c, this.server, space.name));
  }

  /** Drops a space in the background, off the next test's path; its place under the cap goes to whoever waits. */
  private dropLater(held: HeldSpace): void {
    this.drops.push(async () => {
      await this.discard(held);
      for (const pool of this.pools.values()) pool.nudge();
    });
  }

  /**
   * Releases the spaces a test held. A failing test's spaces are kept (and
   * said so, with psql lines, only when keeping worked); a passing test's are
   * dropped in the background, after closing any connection it left open.
   * Once the run is broken (server gone), nothing is kept or dropped.
   */
  async release(held: HeldSpace[], title: string, failed: boolean): Promise<Released> {
    this.inUse -= held.length;
    for (const h of held) h.revoke(); // the test is over: what it left behind must not reach the space's next holder
    const out: Released = { notes: [], warnings: [] };
    if (runBroken()) return out;
    for (const h of held) {
      if (failed) {
        try {
          const database = h.space.database;
          await withDeadline(this.keep(h, title), KEEP_DEADLINE_MS, `keeping space ${h.space.name}`);
          released(database, { name: h.space.name, psql: h.space.psql });
          const hint = h.heldBefore.count > 0 ? ' (PGSPACE_RECYCLE=0 gives every test a fresh clone)' : '';
          out.notes.push(`space kept for debugging: ${h.space.name}\n  ${h.space.psql}\n  ${lineage(h)}${hint}`);
          const dropped = await this.dropKeptPastCap().catch(() => []);
          if (dropped.length > 0) {
            out.warnings.push(
              `pgspace: this run keeps at most ${MAX_KEPT} spaces for debugging; dropped the oldest: ${dropped.join(', ')}`,
            );
          }
        } catch (err) {
          out.notes.push(`space ${h.space.name} could not be kept for debugging (${messageOf(await this.explain(err))}); it is dropped`);
          this.dropLater(h);
        }
        continue;
      }
      released(h.space.database);
      const leaks = openClients(h.space.database, h.watch.own, h.watch.checkedOut);
      if (leaks.length > 0) out.warnings.push(await this.describeLeaks(title, leaks));
      closeClients(leaks);
      const blocker = this.blockers.get(h.migrator);
      const pool = this.pools.get(h.migrator);
      if (leaks.length === 0 && pool && blocker && (await blocker) === undefined) pool.adopt(this.recycle(h, title));
      else this.dropLater(h);
    }
    return out;
  }

  /** A warning naming the test and each connection it left open, with what that session was doing. */
  private async describeLeaks(title: string, leaks: OpenClient[]): Promise<string> {
    const pids = leaks.map((l) => (l.client as pg.Client & { processID?: number }).processID ?? 0);
    const activity = await withDeadline(
      this.withAdmin((c) =>
        c.query<{ pid: number; state: string; query: string }>(
          `SELECT pid, state, left(query, 80) AS query FROM pg_stat_activity WHERE pid = ANY($1)`,
          [pids],
        ),
      ),
      5_000,
      'reading pg_stat_activity',
    ).then(
      (r) => new Map(r.rows.map((row) => [row.pid, row])),
      () => new Map<number, { state: string; query: string }>(),
    );
    const what = {
      'space.pool': 'a client taken from space.pool and never released',
      pool: 'a client of a pg.Pool never ended',
      client: 'a pg.Client never ended',
    };
    const lines = leaks.map((l, i) => {
      const act = activity.get(pids[i]!);
      const state = act ? ` (${act.state}${act.state === 'idle in transaction' ? `, last: ${act.query.replace(/\s+/g, ' ')}` : ''})` : '';
      return `  - ${what[l.kind]}${state}, from ${l.site}${l.via ? ` (opened by ${l.via.split(':')[0]})` : ''}`;
    });
    const vias = [...new Set(leaks.flatMap((l) => (l.via ? [l.via.slice(l.via.indexOf(':') + 2)] : [])))];
    return (
      `pgspace: warning: "${title}" left ${leaks.length} connection(s) to its space open; pgspace closed them:\n${lines.join('\n')}\n` +
      `  ${vias.length > 0 ? `Close what opened them (${vias.join(', ')}); r` : 'R'}elease pool clients (client.release()), end clients (await client.end()) and close services (await app.close()) in the test or an afterEach.`
    );
  }

  /**
   * Recycles the space of the passing test `title` (see recycle.ts): no new
   * logins for its role; nobody but its pool's idle clients in it; reset
   * through one of them; its sessions made new (or ended, when that cannot be
   * proven: see lingers in space.ts), a new password, and ready again. Undefined, and the space dropped, when it cannot be recycled
   * (its schema changed, someone else is in it…).
   */
  private async recycle(held: HeldSpace, title: string): Promise<HeldSpace | undefined> {
    const { space, pool, watch } = held;
    const heldBefore = nextLineage(held.heldBefore, title);
    const password = randomPassword();
    try {
      // Every session of the pool at once (all idle, as checked below). One that can be proven to be as a new one
      // once DISCARD ALL has run is kept warm (a new backend costs more than the whole reset); any other ends.
      // The pool as the test got it: no client taken and not given back (ended instead), no method or listener added or replaced.
      if (pool.totalCount !== pool.idleCount || pool.waitingCount > 0) throw new Error('a client of its pool was not given back');
      if (!sameState(watch.states.get(pool), jsState(pool))) throw new Error('its pool was changed');
      const keepable = new Set(
        this.sessionsKept.get(held.migrator)
          ? [...watch.own].filter((c) => watch.before.has(c) && !watch.tainted.has(c) && sameState(watch.states.get(c), jsState(c)))
          : [],
      );
      const clients = await Promise.all(Array.from({ length: Math.max(1, pool.idleCount) }, () => pool.connect()));
      const own = ownPids(watch);
      const keep = new Set<pg.PoolClient>();
      try {
        const [, sessions] = (await this.admin.query(
          `ALTER ROLE ${pg.escapeIdentifier(space.role)} NOLOGIN; ` +
            // Its role anywhere else (a server not sealed by pg_hba.conf) counts too: a session there, or objects it owns there, outlive the test.
            `SELECT pid = ANY (ARRAY[${own.join(',')}]::int[]) AND datname = ${pg.escapeLiteral(space.database)} AS own, state FROM pg_stat_activity ` +
            `WHERE (datname = ${pg.escapeLiteral(space.database)} OR usename = ${pg.escapeLiteral(space.role)}) AND backend_type = 'client backend' ` +
            `UNION ALL SELECT false, 'owns objects in another database' FROM pg_shdepend WHERE refobjid = ${pg.escapeLiteral(space.role)}::regrole ` +
            `AND dbid NOT IN (0, (SELECT oid FROM pg_database WHERE datname = ${pg.escapeLiteral(space.database)}))`,
        )) as unknown as [unknown, pg.QueryResult<{ own: boolean; state: string }>];
        // Every session ours and idle: one left in a transaction would make the reset part of it.
        if (sessions.rows.some((s) => !s.own || s.state !== 'idle')) throw new Error('someone else is in it');
        const why = await resetSpace(clients[0]!);
        if (why) throw new Error(why);
        for (const client of clients) {
          if (keepable.has(client)) {
            await renewSession(client);
            keep.add(client);
          } else await client.query('SELECT pg_advisory_unlock_all()'); // its backend may outlive release: not its locks
        }
        await this.withAdmin((admin) => reissueSpace(admin, space.name, password, reissueSql(space.name, heldBefore)));
      } finally {
        for (const client of clients) client.release(!keep.has(client)); // true: ended, not pooled
      }
      held.login.password = password; // the pool's new connections log in with it
      const id = { name: space.name, password };
      const again: HeldSpace = { ...held, ...lend(this.server, id, await this.config(held.migrator), held), heldBefore };
      if (pool.totalCount === 0) (await pool.connect()).release(); // a space is ready with a session open
      await this.withAdmin((c) => markReady(c, id.name, id.password));
      return again;
    } catch {
      this.dropLater(held);
      return undefined;
    }
  }

  /** Drops this run's oldest kept spaces past MAX_KEPT; their names. */
  private async dropKeptPastCap(): Promise<string[]> {
    const kept = await this.withAdmin((c) => keptBy(c, this.run));
    const extra = kept.slice(0, Math.max(0, kept.length - MAX_KEPT));
    for (const name of extra) await this.withAdmin((c) => dropSpace(c, this.server, name));
    return extra;
  }

  /** Keeps a failing test's space, renamed after its title; updates `space` in place. */
  private async keep({ space, pool, migrator }: HeldSpace, title: string): Promise<void> {
    disarm(space.database);
    void pool.end().catch(() => undefined);
    const name = await this.withAdmin((c) => keepSpace(c, space, title));
    if (name !== space.name) Object.assign(space, spaceFacts(this.server, { name, password: space.password }, await this.config(migrator)));
  }

  /** Waits for queued drops; throws if one failed (a space could not be dropped). */
  async settle(): Promise<void> {
    const errors = await this.drops.drain();
    if (errors.length > 0 && isConnectionLost(errors[0]) && holdsHeartbeat()) {
      // The server may have just died: the run's heartbeat says so at once, with the server's log; not a failing hook.
      await pollUntil('the heartbeat', () => (runBroken() ? true : undefined), { timeoutMs: 2_000 }).catch(() => undefined);
    }
    if (errors.length > 0 && !runBroken()) {
      throw new PgspaceError(
        'space',
        `dropping ${errors.length} space(s) failed: ${messageOf(await this.explain(errors[0]))}; the next run drops them`,
        { cause: errors[0] },
      );
    }
  }

  /** Discards unused ready spaces, finishes queued drops, and closes the admin pool. */
  async close(): Promise<void> {
    try {
      await Promise.all([...this.pools.values()].map((p) => p.close()));
      await this.settle();
    } finally {
      await this.admin.end();
    }
  }
}

let current: Session | undefined;

/** This process's session, created on first use from the environment global setup prepared. */
export function session(): Session {
  if (current) return current;
  const url = process.env[ADMIN_URL_VAR];
  const run = Number(process.env[RUN_ID_VAR]);
  if (!url || !Number.isInteger(run) || run <= 0) {
    throw new PgspaceError(
      'misuse',
      "newSpace() needs pgspace's global setup, which starts or finds the Postgres server for the run: " +
        'with mocha, `"require": ["pgspace/mocha"]` in .mocharc.json; with Vitest, `globalSetup: ["pgspace/vitest-setup"]` in the test config; ' +
        'with node:test, `--test-global-setup=node_modules/pgspace/dist/runners/node-test-setup.js`; ' +
        "with Jest, `globalSetup: 'pgspace/jest-setup', globalTeardown: 'pgspace/jest-teardown'` in jest.config.",
    );
  }
  current = new Session(parseServerUrl(url), run);
  return current;
}

/** This process's session if it has one. */
export function currentSession(): Session | undefined {
  return current;
}

/** Closes this process's session, if any; the next session() starts a new one. */
export async function closeSession(): Promise<void> {
  const s = current;
  current = undefined;
  await s?.close();
}
