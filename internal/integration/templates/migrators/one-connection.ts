/**
 * The template's one connection, shaped as the pool a tool asks for: the
 * owner role that migrations run as cannot log in, so a tool that wants a
 * URL or a pool of its own (Knex, Kysely, TypeORM) is given this instead.
 */
import type pg from 'pg';
import { PgspaceError } from '../../common/errors.js';

/** What a tool holds while it has the connection: the client, with a `release` that gives it back. */
export type Held = pg.Client & { release(destroy?: unknown): void };

type ConnectCallback = (err: Error | undefined, client?: Held, release?: (err?: unknown) => void) => void;

/** A pg.Pool look-alike over one client; see the module comment. */
export interface OnePool {
  /** The client, once whoever holds it released it: promise style (pg.Pool), or callback style (TypeORM). */
  connect(): Promise<Held>;
  connect(callback: ConnectCallback): void;
  /** Nothing to end: the connection is the helper's, and stays open. */
  end(callback?: (err?: Error) => void): Promise<void>;
  on(event: string, listener: (...args: unknown[]) => void): OnePool;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** How long a tool may wait for the connection while it holds it itself: one that needs two at once would wait forever. */
const HOLD_LIMIT_MS = 60_000;

/**
 * `client` as a pool for `tool`: one holder at a time, in order of asking.
 * A tool that asks for a second connection while it holds the first fails
 * after HOLD_LIMIT_MS, saying so, instead of hanging.
 */
export function onePool(client: pg.Client, tool: string): OnePool {
  let held = false;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else held = false;
  };
  const take = (): Promise<Held> =>
    new Promise<void>((resolve, reject) => {
      if (!held) return resolve(void (held = true));
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(go), 1);
        reject(
          new PgspaceError(
            'schema',
            `${tool} waited ${HOLD_LIMIT_MS / 1000} s for the only connection pgspace gives migrations: it asked for a second one while it held it, or never gave it back`,
          ),
        );
      }, HOLD_LIMIT_MS);
      const go = () => (clearTimeout(timer), resolve());
      waiting.push(go);
    }).then(() => {
      let released = false;
      const give = () => {
        if (!released) ((released = true), release());
      };
      return Object.assign(client, { release: give }) as Held;
    });
  const pool: OnePool = {
    connect(callback?: ConnectCallback) {
      if (!callback) return take();
      take().then(
        (c) => {
          const give = c.release; // this holder's: a later take replaces client.release
          callback(undefined, c, () => give());
        },
        (err: Error) => callback(err),
      );
      return undefined as never;
    },
    async end(callback) {
      callback?.();
    },
    on() {
      return pool;
    },
    get totalCount() {
      return 1;
    },
    get idleCount() {
      return held ? 0 : 1;
    },
    get waitingCount() {
      return waiting.length;
    },
  } as OnePool;
  return pool;
}
