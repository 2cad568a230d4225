/**
 * The helper's state in one process (the mocha process, or one parallel
 * worker): the admin pool, the templates it has ensured, and the spaces its
 * tests hold. The run's global setup (mocha.ts) tells every process which
 * server and run to use through two environment variables.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { loadConfigTemplates, type ConfigTemplate } from './config-templates.js';
import { PgspaceError } from './errors.js';
import type { Migrator } from './migrator.js';
import { CONFIG_DIR } from './project.js';
import { ADMIN_URL_VAR, clientConfig, parseServerUrl, type ServerSettings } from './server.js';
import { openSpace, spaceFacts, type LiveSpace } from './space.js';
import { createSpace, createStrategy, dropSpace, keepSpace, type CreateStrategy } from './spaces.js';
import { newTag, type SpaceTag } from './tags.js';
import { ensureTemplate, templateName } from './template.js';

/** Set by global setup: the id of the current test run (see locks.ts). */
export const RUN_ID_VAR = 'PGSPACE_RUN_ID';

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

  constructor(
    readonly server: ServerSettings,
    readonly run: number,
  ) {
    this.admin = new pg.Pool({ ...clientConfig(server), max: 4 });
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
    const client = await this.admin.connect();
    const name = await templateName(client, migrator, configHash.digest('hex')).finally(() => client.release());
    await ensureTemplate(this.server, name, migrator);
    return name;
  }

  /** Creates a space from `migrator`'s template for the test titled `title`. */
  async create(migrator: Migrator, title: string): Promise<HeldSpace> {
    const [template, config] = await Promise.all([this.template(migrator), this.config()]);
    this.strategy ??= this.admin.connect().then((c) => createStrategy(c).finally(() => c.release()));
    const tag = { ...newTag(this.run), test: title };
    const client = await this.admin.connect();
    try {
      const id = await createSpace(client, template, tag, await this.strategy);
      return { space: openSpace(this.server, id, config), tag };
    } finally {
      client.release();
    }
  }

  /** Drops a space a passing test is done with. */
  async drop({ space }: HeldSpace): Promise<void> {
    void space.pool.end().catch(() => undefined); // not awaited: a client the test never released must not hang us
    const client = await this.admin.connect();
    await dropSpace(client, space.name).finally(() => client.release());
  }

  /** Keeps a failing test's space, renamed after its title; updates `space` in place. */
  async keep({ space, tag }: HeldSpace, title: string): Promise<void> {
    void space.pool.end().catch(() => undefined);
    const client = await this.admin.connect();
    const name = await keepSpace(client, space.name, tag, title).finally(() => client.release());
    if (name === space.name) return;
    Object.assign(space, spaceFacts(this.server, { name, password: space.password }, await this.config()));
  }

  /** Closes the admin pool. */
  async close(): Promise<void> {
    await this.admin.end();
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

/** Closes this process's session, if any; the next session() starts a new one. */
export async function closeSession(): Promise<void> {
  const s = current;
  current = undefined;
  await s?.close();
}
