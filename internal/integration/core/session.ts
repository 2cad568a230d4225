/**
 * The helper's state in one process (the mocha process, or one parallel
 * worker): the admin pool, the templates it has ensured, a warm pool of
 * ready spaces per template, and the queue of spaces to drop. The run's
 * global setup (mocha.ts) tells every process which server and run to use
 * through two environment variables.
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { loadConfigTemplates, type ConfigTemplate } from './config-templates.js';
import { PgspaceError, messageOf } from './errors.js';
import type { Migrator } from './migrator.js';
import { CONFIG_DIR } from '../project.js';
import { SerialQueue } from './serial-queue.js';
import { ADMIN_URL_VAR, clientConfig, parseServerUrl, type ServerSettings } from './server.js';
import { openSpace, spaceFacts, type LiveSpace } from './space.js';
import { createSpace, createStrategy, dropSpace, keepSpace, tagSpace, type CreateStrategy } from './spaces.js';
import { newTag, type SpaceTag } from './tags.js';
import { ensureTemplate, templateName } from './template.js';
import { WarmPool } from './warm-pool.js';

/** Set by global setup: the id of the current test run (see locks.ts). */
export const RUN_ID_VAR = 'PGSPACE_RUN_ID';

/**
 * Ready spaces kept per process and template, and how many are made at once
 * (one per core: making a space is server CPU, mostly copying ~7 MB of system
 * catalogs). Measured with `npm run bench` on 2 cores: 4 ready spaces take
 * acquire p50 from ~4 ms (2 ready) to under 1 ms; deeper pools only make
 * spaces nobody uses at the end of the run.
 */
export const POOL_SIZE = 4;
export const POOL_CONCURRENCY = Math.max(1, Math.min(4, os.availableParallelism()));

/** A space a test holds, with what is needed to drop or keep it. */
export interface HeldSpace {
  space: LiveSpace;
  tag: SpaceTag;
}

/** Per-process helper state; see the module comment. */
export class Session {
  readonly admin: pg.Pool;
  private strategy?: Promise<CreateStrategy>;
  private configTemplates?: Promise<ConfigTemplate[]>;
  private readonly templates = new Map<Migrator, Promise<string>>();
  private readonly pools = new Map<Migrator, WarmPool<HeldSpace>>();
  private readonly drops = new SerialQueue();

  constructor(
    readonly server: ServerSettings,
    readonly run: number,
    private readonly poolSize = POOL_SIZE,
    private readonly poolConcurrency = POOL_CONCURRENCY,
  ) {
    this.admin = new pg.Pool({ ...clientConfig(server), max: poolConcurrency + 2 });
    this.admin.on('error', () => undefined); // an idle admin client dropped by the server is simply replaced
  }

  /** The config.d templates, read and checked once per process. */
  config(): Promise<ConfigTemplate[]> {
    return (this.configTemplates ??= loadConfigTemplates(CONFIG_DIR));
  }

  /** The name of `migrator`'s template, built if this is the first process to need it. */
  template(migrator: Migrator): Promise<string> {
    let name = this.templates.get(migrator);
    if (!name) {
      name = this.buildTemplate(migrator);
      name.catch(() => this.templates.delete(migrator)); // let a later test retry, and see the error itself
      this.templates.set(migrator, name);
    }
    return name;
  }

  private async buildTemplate(migrator: Migrator): Promise<string> {
    const configHash = createHash('sha256');
    for (const t of await this.config()) configHash.update(`${t.name}\0${t.text}\0`);
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

  /** Makes a space from `migrator`'s template, with a connection already open in its pool. */
  async make(migrator: Migrator): Promise<HeldSpace> {
    const [template, config] = await Promise.all([this.template(migrator), this.config()]);
    this.strategy ??= this.withAdmin(createStrategy);
    const strategy = await this.strategy;
    const tag = newTag(this.run);
    const id = await this.withAdmin((c) => createSpace(c, template, tag, strategy));
    const space = openSpace(this.server, id, config);
    try {
      (await space.pool.connect()).release();
    } catch (err) {
      await this.discard({ space, tag });
      throw err;
    }
    return { space, tag };
  }

  private pool(migrator: Migrator): WarmPool<HeldSpace> {
    let pool = this.pools.get(migrator);
    if (!pool) {
      pool = new WarmPool(() => this.make(migrator), (h) => this.discard(h), this.poolSize, this.poolConcurrency);
      this.pools.set(migrator, pool);
    }
    return pool;
  }

  /** Hands a ready space to the test titled `title`, recording the title on it. */
  async acquire(migrator: Migrator, title: string): Promise<HeldSpace> {
    const held = await this.pool(migrator).take();
    held.tag = { ...held.tag, test: title };
    await this.withAdmin((c) => tagSpace(c, held.space.name, held.tag));
    return held;
  }

  private async discard({ space }: HeldSpace): Promise<void> {
    void space.pool.end().catch(() => undefined); // not awaited: a client the test never released must not hang us
    await this.withAdmin((c) => dropSpace(c, space.name));
  }

  /** Drops a space a passing test is done with, in the background. */
  release(held: HeldSpace): void {
    this.drops.push(() => this.discard(held));
  }

  /** Keeps a failing test's space, renamed after its title; updates `space` in place. */
  async keep({ space, tag }: HeldSpace, title: string): Promise<void> {
    void space.pool.end().catch(() => undefined);
    const name = await this.withAdmin((c) => keepSpace(c, space.name, tag, title));
    if (name !== space.name) Object.assign(space, spaceFacts(this.server, { name, password: space.password }, await this.config()));
  }

  /** Waits for queued drops; throws if one failed (a space could not be dropped). */
  async settle(): Promise<void> {
    const [first] = await this.drops.drain();
    if (first) throw new PgspaceError(`dropping a space failed: ${messageOf(first)}`, { cause: first });
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
      'newSpace() needs the pgspace mocha plugin: run mocha with `--require ./internal/integration/mocha.ts` ' +
        '(the npm test scripts do), which starts or finds the Postgres server for the run.',
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
