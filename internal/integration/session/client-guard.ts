/**
 * Connections to space databases opened in this process, whoever opened them
 * (`space.pool`, a `new pg.Client(space.url)`, a service's pool built from
 * `space.config`), so that when a test ends pgspace can say which ones it left
 * open and close them without crashing the run.
 *
 * Why a patch of pg.Client#connect: a client with no 'error' listener turns
 * the server-side end of its session (the space being dropped) into an
 * uncaught exception, which the runner blames on whatever test runs then.
 * pg offers no registry of clients, so connect() is wrapped to note every
 * client of a `pgs_` database and give it a listener that swallows a lost
 * connection (the query in progress fails with it anyway) and anything after
 * pgspace closed the client; other errors it rethrows when it is the only
 * listener, exactly as an unlistened error would.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isConnectionLost } from '../common/connection-errors.js';
import { SPACE_PREFIX } from '../common/names.js';

/** A client found open on a space database. */
export interface OpenClient {
  client: pg.Client;
  /** Where it was connected (for a space.pool client: where it was taken), as `file:line:col`. */
  site: string;
  /** 'space.pool': taken from the space's pool and not released; 'pool': a client of some other pg.Pool; 'client': a pg.Client. */
  kind: 'space.pool' | 'pool' | 'client';
  /** The client library that opened it, and how that library is closed (`Knex: await knex.destroy()`), when pgspace knows it. */
  via?: string;
}

/** Libraries that open pg clients of their own, found in the stack of connect(), and how each is closed. */
const LIBRARIES: [RegExp, string][] = [
  [/node_modules[\\/]knex[\\/]/, 'Knex: await knex.destroy()'],
  [/node_modules[\\/]typeorm[\\/]|at (PostgresDriver|DataSource)\./, 'TypeORM: await dataSource.destroy()'], // its source maps point outside node_modules
  [/node_modules[\\/]@prisma[\\/]/, 'Prisma: await prisma.$disconnect()'],
  [/node_modules[\\/]kysely[\\/]/, 'Kysely: await db.destroy()'],
  [/node_modules[\\/]drizzle-orm[\\/]/, 'Drizzle: await db.$client.end()'],
];

const open = new Map<string, Map<pg.Client, { site: string; via?: string }>>(); // database -> client -> where it came from
const closedByPgspace = new WeakSet<pg.Client>();
const PATCHED = Symbol.for('pgspace.clientGuard');

const seen = new Map<string, boolean>();
/** Whether `file` exists, asked once per file: callSite runs on every space.pool query. */
function shipped(file: string): boolean {
  let exists = seen.get(file);
  if (exists === undefined) seen.set(file, (exists = existsSync(file)));
  return exists;
}

/** The first stack frame outside pg, node internals and this helper: the user's line. */
export function callSite(stack = new Error().stack): string {
  const frames = (stack ?? '').split('\n').slice(1);
  const here = path.dirname(path.dirname(new URL(import.meta.url).pathname));
  const location = frames
    .filter((f) => !f.includes('node_modules') && !f.includes('node:') && !f.includes(here) && /:\d+:\d+\)?$/.test(f))
    .map((f) => {
      const location = f
        .trim()
        .replace(/^at (.*\()?/, '')
        .replace(/\)$/, '');
      const at = /:\d+:\d+$/.exec(location)![0];
      return location.startsWith('file://') ? fileURLToPath(location.slice(0, -at.length)) + at : location;
    })
    .find((l) => shipped(l.replace(/:\d+:\d+$/, ''))); // a library's source map may name files it does not ship
  return location ? path.relative(process.cwd(), location) : 'an unknown place';
}

function track(client: pg.Client & { database?: string }): void {
  const database = client.database;
  if (typeof database !== 'string' || !database.startsWith(SPACE_PREFIX)) return;
  let clients = open.get(database);
  if (!clients) open.set(database, (clients = new Map()));
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = Math.max(limit, 40); // deep enough to see through a library's pool to the test
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  clients.set(client, { site: callSite(stack), via: LIBRARIES.find(([frame]) => frame.test(stack ?? ''))?.[1] });
  client.on('error', function guard(this: pg.Client, err: Error) {
    // A lost connection also fails the query in progress, which is what the test sees;
    // the event itself would only turn up as an uncaught error in whatever test runs then.
    if (closedByPgspace.has(client) || isConnectionLost(err)) return;
    if (this.listenerCount('error') === 1) throw err;
  });
  client.once('end', () => {
    clients!.delete(client);
    if (clients!.size === 0 && open.get(database) === clients) open.delete(database);
  });
}

function patch(Client: typeof pg.Client): void {
  const proto = Client.prototype as pg.Client & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  const connect = proto.connect;
  proto.connect = function (this: pg.Client, ...args: unknown[]) {
    track(this);
    return (connect as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof proto.connect;
  proto[PATCHED] = true;
}

/**
 * Installs the guard on the `pg` this helper uses and, if the project
 * resolves a different copy, on that one too. Idempotent.
 */
export function installClientGuard(): void {
  for (const Client of pgClientClasses()) patch(Client);
}

/** pg.Client of the `pg` this helper uses and, if the project resolves a different copy, that one's too. */
export function pgClientClasses(): (typeof pg.Client)[] {
  try {
    const projectPg = createRequire(path.join(process.cwd(), 'package.json'))('pg') as typeof pg;
    if (projectPg?.Client && projectPg.Client !== pg.Client) return [pg.Client, projectPg.Client];
  } catch {
    /* the project has no pg of its own */
  }
  return [pg.Client];
}

/**
 * The clients still open on `database`, leaving out `ownPool`'s idle clients
 * (the helper's own): `checkedOut` maps the own pool's clients in use to where
 * they were taken.
 */
export function openClients(database: string, ownPool: ReadonlySet<pg.Client>, checkedOut: ReadonlyMap<pg.Client, string>): OpenClient[] {
  const found: OpenClient[] = [];
  for (const [client, { site, via }] of open.get(database) ?? []) {
    if ((client as pg.Client & { _ending?: boolean })._ending) continue; // end() called: on its way out
    if (ownPool.has(client)) {
      const taken = checkedOut.get(client);
      if (taken !== undefined) found.push({ client, site: taken, kind: 'space.pool' });
    } else {
      found.push({ client, site, via, kind: typeof (client as { release?: unknown }).release === 'function' ? 'pool' : 'client' });
    }
  }
  return found;
}

/** Closes clients pgspace found left open; their errors from now on are expected and swallowed. */
export function closeClients(clients: OpenClient[]): void {
  for (const { client, kind } of clients) {
    closedByPgspace.add(client);
    if (kind === 'space.pool') (client as pg.PoolClient).release(true);
    else void client.end().catch(() => undefined);
  }
}

/** Marks every client on `database` as closed by pgspace (the space is going away under them). */
export function disarm(database: string): void {
  for (const client of open.get(database)?.keys() ?? []) closedByPgspace.add(client);
}
