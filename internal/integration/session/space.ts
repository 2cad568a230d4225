import pg from 'pg';
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
}

/** A Space with a pool logged in as its role, and a watch over that pool. */
export function openSpace(server: ServerSettings, id: SpaceIdentity, templates: ConfigTemplate[]): { space: LiveSpace; watch: PoolWatch } {
  const pool = new pg.Pool({
    host: server.host,
    port: server.port,
    user: id.name,
    password: id.password,
    database: id.name,
    max: 5,
    connectionTimeoutMillis: 5_000,
  });
  // Dropping or keeping a space disconnects its idle clients; that is expected.
  pool.on('error', () => undefined);
  const watch: PoolWatch = { own: new Set(), checkedOut: new Map() };
  // pool.query() goes through pool.connect() too, so every take is seen here, in order.
  const sites: string[] = [];
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  pool.connect = ((...args: unknown[]) => (sites.push(callSite()), connect(...args))) as typeof pool.connect;
  pool.on('connect', (client) => watch.own.add(client));
  pool.on('acquire', (client) => watch.checkedOut.set(client, sites.shift() ?? 'an unknown place'));
  pool.on('release', (_err, client) => watch.checkedOut.delete(client));
  pool.on('remove', (client) => (watch.own.delete(client), watch.checkedOut.delete(client)));
  return { space: { ...spaceFacts(server, id, templates), pool }, watch };
}
