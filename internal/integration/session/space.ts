import pg from 'pg';
import { PgspaceError } from '../common/errors.js';
import { callSite } from './client-guard.js';
import { renderConfig, type ConfigTemplate } from '../config/config-templates.js';
import { isClusterDir } from '../embedded/diagnosis.js';
import { serverUrl, type ServerSettings } from '../server/server.js';
import type { SpaceIdentity } from '../spaces/spaces.js';

/** A fresh, isolated Postgres role + database for one test. */
export interface Space {
  /** The space's name; its role and its database are both called this. */
  readonly name: string;
  readonly role: string;
  readonly database: string;
  readonly password: string;
  /** Server host (or unix socket directory: the embedded server's fastest way in) and port. */
  readonly host: string;
  readonly port: number;
  /**
   * `postgresql://role:password@host:port/database`, logging in as the space's role, that every
   * client accepts: WHATWG `new URL()`, pg, Knex, Prisma, Drizzle, TypeORM, psql. On the embedded
   * server it goes over TCP (127.0.0.1, password checked); only a server you name by a unix socket
   * (`PGHOST=/run/postgresql`) gets libpq's `?host=` form.
   */
  readonly url: string;
  /** The same as `url`, as an object for clients that take one (`{ connection }`, `new pg.Client(...)`). */
  readonly connection: Readonly<SpaceConnection>;
  /** A pool connected as the space's role (not as a superuser). Closed by the helper. */
  readonly pool: pg.Pool;
  /** Every `config.d/<name>.env` rendered for this space and parsed: `config.<name>.<VAR>`. */
  readonly config: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** A copy-paste shell command that opens psql in this space. */
  readonly psql: string;
}

/** Where and who to log in as, for clients that take an object. */
export interface SpaceConnection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** The helper's mutable view of a Space: keeping a space renames it. */
export type LiveSpace = { -readonly [K in keyof Space]: Space[K] };

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The embedded server listens on 127.0.0.1 too (sealed the same way, with passwords): every client can reach it there. */
function tcpHost(host: string): string {
  return isClusterDir(host) ? '127.0.0.1' : host;
}

/** Names, URL, psql line and rendered config for a space called `name`. */
export function spaceFacts(server: ServerSettings, id: SpaceIdentity, templates: ConfigTemplate[]): Omit<LiveSpace, 'pool'> {
  const connection: SpaceConnection = {
    host: tcpHost(server.host),
    port: server.port,
    user: id.name,
    password: id.password,
    database: id.name,
  };
  const url = serverUrl(connection);
  return {
    name: id.name,
    role: id.name,
    database: id.name,
    password: id.password,
    host: server.host,
    port: server.port,
    url,
    connection,
    psql: `psql ${shellQuote(url)}`,
    config: renderConfig(templates, {
      database: id.name,
      user: id.name,
      password: id.password,
      host: server.host,
      port: String(server.port),
      url,
    }),
  };
}

/** What the helper knows of a space pool's clients, to tell a leaked client from its own idle ones. */
export interface PoolWatch {
  /** Every client the pool made. */
  own: Set<pg.Client>;
  /** Clients in use, with where they were taken. */
  checkedOut: Map<pg.Client, string>;
  /** The clients the pool had when the space was last lent to a test: sessions that logged in before the test ran. */
  before: Set<pg.Client>;
  /** Clients asked for what may outlive DISCARD ALL (see LINGERS): never handed to a later test. */
  tainted: Set<pg.Client>;
  /** The pool's and each of `before`'s clients' JS state when the space was lent (see jsState). */
  states: Map<object, unknown[]>;
}

/**
 * What test code can leave on a pool or client object for the next holder:
 * its methods (own function properties, by identity: a stub left in place)
 * and its listeners. Data properties are the library's own state (pg and
 * pg-pool change them as a client is used), and pg-pool gives a client a new
 * `release` at each checkout.
 */
export function jsState(target: object): unknown[] {
  const out: unknown[] = [];
  const keys = Reflect.ownKeys(target).filter((k) => k !== 'release' && typeof Reflect.get(target, k) === 'function');
  for (const key of keys.sort((a, b) => String(a).localeCompare(String(b)))) out.push(key, Reflect.get(target, key));
  const emitter = target as { eventNames?: () => (string | symbol)[]; rawListeners?: (e: string | symbol) => unknown[] };
  for (const event of emitter.eventNames?.() ?? []) out.push(event, ...emitter.rawListeners!(event));
  return out;
}

/** Whether two jsState()s are the same. */
export function sameState(a: unknown[] | undefined, b: unknown[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * SQL after which a session can differ from a new one even once DISCARD ALL
 * has run: a custom setting (SET app.x, set_config: its placeholder outlives
 * RESET, and current_setting('app.x', true) reads '' instead of NULL); what
 * runs SQL built from strings, which could make one (a DO block, LOAD,
 * query_to_xml and its kin, ts_stat); LISTEN (the test's notification
 * listeners stay on the client); and what reading the text cannot see through
 * (Unicode escapes). Comments are removed first. Matched loosely: a false
 * match only costs a new session.
 */
const LINGERS =
  /set_config|\b(set|reset)\s+(session\s+|local\s+)?[^\s=;]*\.|\bdo\s+(\$|e?'|language\b)|\bload\s+e?'|_to_xml|\bts_stat\b|\blisten\b|\bu&['"]/i;

/** Whether query `config` (as given to client.query) may leave something DISCARD ALL does not clear. */
export function lingers(config: unknown): boolean {
  const text = typeof config === 'string' ? config : (config as { text?: unknown } | null)?.text;
  // A named statement: pg remembers it is prepared, after DISCARD ALL has deallocated it.
  if (typeof text !== 'string' || (typeof config === 'object' && (config as { name?: unknown }).name !== undefined)) return true;
  return LINGERS.test(text.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' '));
}

/** Notes on the client what may make its session unfit for a later test: SQL that lingers, type parsers, notification listeners. */
function watchClient(client: pg.Client, tainted: Set<pg.Client>): void {
  const c = client as unknown as Record<string, (...args: unknown[]) => unknown>;
  const query = c.query!.bind(client);
  c.query = (...args: unknown[]) => (lingers(args[0]) && tainted.add(client), query(...args));
  const setTypeParser = c.setTypeParser!.bind(client);
  c.setTypeParser = (...args: unknown[]) => (tainted.add(client), setTypeParser(...args));
  for (const method of ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener']) {
    const add = c[method]!.bind(client);
    c[method] = (event: unknown, ...rest: unknown[]) => {
      if (event === 'notification' || event === 'notice') tainted.add(client);
      add(event, ...rest);
      return client;
    };
  }
}

/** A space's pool, logged in as its role; it outlives a test when the space is recycled. */
export interface SpacePool {
  pool: pg.Pool;
  watch: PoolWatch;
  /** The password new connections log in with: recycling the space changes it. */
  login: { password: string };
}

/**
 * Opens the pool of space `id`, with a watch over its clients. Its sessions
 * stay open while idle (a warm session is what makes a space quick to use).
 */
export function openPool(server: ServerSettings, id: SpaceIdentity): SpacePool {
  const login = { password: id.password };
  const pool = new pg.Pool({
    host: server.host,
    port: server.port,
    user: id.name,
    password: () => login.password,
    database: id.name,
    max: 5,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: 5_000,
  });
  // Dropping or keeping a space disconnects its idle clients; that is expected.
  pool.on('error', () => undefined);
  const watch: PoolWatch = { own: new Set(), checkedOut: new Map(), before: new Set(), tainted: new Set(), states: new Map() };
  // pool.query() goes through pool.connect() too, so every take is seen here, in order.
  const sites: string[] = [];
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  pool.connect = ((...args: unknown[]) => {
    const site = callSite();
    sites.push(site);
    const taking = connect(...args);
    // A take that fails is never acquired: its site must not be given to the next one.
    if (taking instanceof Promise) taking.catch(() => sites.includes(site) && sites.splice(sites.indexOf(site), 1));
    return taking;
  }) as typeof pool.connect;
  pool.on('connect', (client) => (watch.own.add(client), watchClient(client, watch.tainted)));
  pool.on('acquire', (client) => watch.checkedOut.set(client, sites.shift() ?? 'an unknown place'));
  pool.on('release', (_err, client) => watch.checkedOut.delete(client));
  pool.on('remove', (client) => {
    for (const set of [watch.own, watch.before, watch.tainted]) set.delete(client);
    watch.states.delete(client);
    watch.checkedOut.delete(client);
  });
  return { pool, watch, login };
}

/**
 * The Space test code is given: the facts of `id`, and `pool` lent until
 * revoke(), with every client taken from it. Past it, any use of them says the
 * test is over: the pool and its sessions serve the space's next test by then
 * (or are closed), and must not be reached through an earlier test's leftovers.
 */
export function lend(
  server: ServerSettings,
  id: SpaceIdentity,
  templates: ConfigTemplate[],
  { pool }: SpacePool,
): { space: LiveSpace; revoke(): void } {
  let revoked = false;
  const over = (what: string) =>
    new PgspaceError(
      'misuse',
      `${what} of space ${id.name} was used after its test ended; a test's space is its own only while the test runs`,
    );
  const revocable = <T extends object>(
    target: T,
    what: string,
    wrap: (key: string | symbol, value: unknown) => unknown = (_k, v) => v,
  ): T => {
    const proxy: T = new Proxy(target, {
      get(t, key) {
        if (revoked && typeof key === 'string' && key !== 'then') throw over(what);
        const value: unknown = Reflect.get(t, key, t);
        if (typeof value !== 'function') return wrap(key, value);
        // Called on the object itself; what returns the object (on(), once()…) returns this proxy, never the object.
        const fn = value as (...args: unknown[]) => unknown;
        return wrap(key, (...args: unknown[]) => {
          const result = fn.apply(t, args);
          return result === t ? proxy : result;
        });
      },
      set(t, key, value) {
        if (revoked) throw over(what);
        return Reflect.set(t, key, value, t);
      },
    });
    return proxy;
  };
  const client = (c: pg.PoolClient | undefined) => c && revocable(c, 'a client of space.pool');
  const lent = revocable(pool, 'space.pool', (key, value) => {
    if (key !== 'connect') return value;
    const connect = value as (...args: unknown[]) => unknown;
    return (callback?: (err: Error | undefined, c: pg.PoolClient | undefined, done: unknown) => void) =>
      callback
        ? connect((err: Error | undefined, c: pg.PoolClient | undefined, done: unknown) => callback(err, client(c), done))
        : (connect() as Promise<pg.PoolClient>).then(client);
  });
  return { space: { ...spaceFacts(server, id, templates), pool: lent }, revoke: () => void (revoked = true) };
}
