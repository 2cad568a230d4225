/**
 * `npm run bench`: what a fresh space per test costs, four ways side by side
 * on one server in one run. Prints figures; asserts nothing.
 *
 *   (a) migrate:  new role + empty database + node-pg-migrate, per test (the Go original's way)
 *   (b) clone:    new role + database cloned from the migrated template, on demand (pgtestdb's way)
 *   (c) pool:     take a space the warm pool prepared, drop it in the background (our default)
 *   (d) shared:   every test in one shared database, no isolation (the baseline)
 *   (e) recycle:  (c), and a passing test's space is reset and handed on under a new role (our default)
 *
 * For each: acquire latency (test asks → connected pool in hand) p50/p95
 * over the suite, spaces per second with 1, 2 and 4 concurrent workers, and
 * the wall time of one generated 300-test suite run serially (micro: a few
 * statements per test). Then a realistic suite for (c), (d) and (e): 300
 * component-style tests, each building the trainings service on its database
 * and booking through fastify's inject (the users service stubbed in-process).
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { scramVerifier, randomPassword } from '../../internal/integration/common/credentials.js';
import { migrators } from '../../pgspace.config.js';
import { finishRun, startRun } from '../../internal/integration/run/run.js';
import { closeSession, POOL_CONCURRENCY, POOL_SIZE, Session } from '../../internal/integration/session/session.js';
import { newSpaceName, OWNER_ROLE } from '../../internal/integration/common/names.js';
import { clientConfig, type ServerSettings } from '../../internal/integration/server/server.js';
import { createSpace, createStrategy, dropSpace } from '../../internal/integration/spaces/spaces.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';
import { componentSuites } from './component-suite.js';

const SUITE_TESTS = Number(process.env.BENCH_TESTS ?? 300);
const THROUGHPUT_SPACES = Number(process.env.BENCH_SPACES ?? 120);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const q = pg.escapeIdentifier;
/** BENCH_POOL=size,concurrency tries other warm pool shapes than the default. */
const POOL = (process.env.BENCH_POOL ?? `${POOL_SIZE},${POOL_CONCURRENCY}`).split(',').map(Number) as [number, number];

/** What a mode hands a test, and how the test gives it back. */
interface Lease {
  pool: pg.Pool;
  /** The trainings service's database settings for this database (config.d/trainings.env's variables). */
  env: Record<string, string>;
  release(): Promise<void>;
}

function trainingsEnv(server: ServerSettings, name: string, password: string): Record<string, string> {
  return {
    TRAININGS_DB_HOST: server.host,
    TRAININGS_DB_PORT: String(server.port),
    TRAININGS_DB_NAME: name,
    TRAININGS_DB_USER: name,
    TRAININGS_DB_PASSWORD: password,
  };
}

/** One way of giving tests a database. */
interface Mode {
  key: string;
  label: string;
  /** Per worker: a function that leases a database, and a close for the worker. */
  worker(): Promise<{ acquire(): Promise<Lease>; close(): Promise<void> }>;
}

const ignore = () => undefined;

function spacePool(server: ServerSettings, name: string, password: string): pg.Pool {
  const pool = new pg.Pool({ ...clientConfig(server, name), user: name, password, max: 2 });
  pool.on('error', ignore);
  return pool;
}

async function connected(pool: pg.Pool): Promise<pg.Pool> {
  (await pool.connect()).release();
  return pool;
}

function modes(server: ServerSettings, run: number, template: string): Mode[] {
  const adminPool = () => {
    const p = new pg.Pool({ ...clientConfig(server), max: 2 });
    p.on('error', ignore);
    return p;
  };
  return [
    {
      key: 'a',
      label: '(a) migrate a fresh database per test',
      async worker() {
        const admin = adminPool();
        return {
          async acquire() {
            const name = newSpaceName();
            const password = randomPassword();
            await admin.query(`CREATE ROLE ${q(name)} LOGIN PASSWORD ${pg.escapeLiteral(scramVerifier(password))}`);
            await admin.query(`CREATE DATABASE ${q(name)} OWNER ${q(name)}`);
            const pool = spacePool(server, name, password);
            const client = new pg.Client({ ...clientConfig(server, name), user: name, password });
            await client.connect();
            await migrators.trainings.migrate(client);
            await client.end();
            await connected(pool);
            return {
              pool,
              env: trainingsEnv(server, name, password),
              release: async () => {
                await pool.end();
                await admin.query(`DROP DATABASE ${q(name)} WITH (FORCE)`);
                await admin.query(`DROP ROLE ${q(name)}`);
              },
            };
          },
          close: () => admin.end(),
        };
      },
    },
    {
      key: 'b',
      label: '(b) clone the template on demand',
      async worker() {
        const admin = adminPool();
        const strategy = await createStrategy(admin);
        return {
          async acquire() {
            const id = await createSpace(admin, template, run, strategy);
            const pool = await connected(spacePool(server, id.name, id.password));
            return {
              pool,
              env: trainingsEnv(server, id.name, id.password),
              release: async () => {
                await pool.end();
                await dropSpace(admin, server, id.name);
              },
            };
          },
          close: () => admin.end(),
        };
      },
    },
    sessionMode('c', '(c) warm pool, drop after each test', server, run, false),
    {
      key: 'd',
      label: '(d) one shared database, no isolation',
      async worker() {
        const admin = adminPool();
        const name = newSpaceName();
        const password = randomPassword();
        await admin.query(`CREATE ROLE ${q(name)} LOGIN PASSWORD ${pg.escapeLiteral(scramVerifier(password))} IN ROLE ${q(OWNER_ROLE)}`);
        await admin.query(`CREATE DATABASE ${q(name)} OWNER ${q(name)} TEMPLATE ${q(template)}`);
        const pool = await connected(spacePool(server, name, password));
        const env = trainingsEnv(server, name, password);
        return {
          acquire: async () => ({ pool, env, release: async () => undefined }),
          close: async () => {
            await pool.end();
            await dropSpace(admin, server, name);
            await admin.end();
          },
        };
      },
    },
    sessionMode('e', "(e) warm pool, recycle passing tests' spaces (default)", server, run, true),
  ];
}

/** The helper's own way, as tests get it: a Session, dropping or recycling each space after its test. */
function sessionMode(key: string, label: string, server: ServerSettings, run: number, recycle: boolean): Mode {
  return {
    key,
    label,
    async worker() {
      const session = new Session(server, run, POOL[0], POOL[1], recycle);
      await session.template(migrators.trainings);
      return {
        async acquire() {
          const held = await session.acquire(migrators.trainings, 'bench');
          return {
            pool: held.space.pool,
            env: held.space.config.trainings!,
            release: async () => void (await session.release([held], 'bench', false)),
          };
        },
        close: () => session.close(),
      };
    },
  };
}

/** The generated test: a few inserts and selects, on ids of its own so it is also safe in a shared database. */
async function testBody(pool: pg.Pool, i: number): Promise<void> {
  const trainer = `trainer-${i}-${process.hrtime.bigint()}`;
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO hours (trainer_id, starts_at) SELECT $1, '2030-01-01'::timestamptz + n * interval '1 hour' FROM generate_series(0, 2) n RETURNING id`,
    [trainer],
  );
  await pool.query(`INSERT INTO trainings (hour_id, attendee_id, notes) VALUES ($1, $2, 'bench')`, [rows[0]!.id, `attendee-${i}`]);
  await pool.query(`UPDATE hours SET status = 'training_scheduled' WHERE id = $1`, [rows[0]!.id]);
  const free = await pool.query(`SELECT count(*)::int AS n FROM hours WHERE trainer_id = $1 AND status = 'available'`, [trainer]);
  if (free.rows[0].n !== 2) throw new Error(`test ${i}: expected 2 free hours, got ${free.rows[0].n}`);
  await pool.query(`SELECT t.id FROM trainings t JOIN hours h ON h.id = t.hour_id WHERE h.trainer_id = $1`, [trainer]);
}

const NOW = new Date('2030-01-07T10:00:00Z');
const coach = (id: string) => ({ 'x-user-id': id, 'x-user-role': 'trainer' });
const attendee = (id: string) => ({ 'x-user-id': id, 'x-user-role': 'attendee' });

/** The realistic test: the trainings service built on its database, two hours published, one booked, both lists read. */
async function componentTest(env: Record<string, string>, i: number): Promise<void> {
  const config = loadTrainingsConfig({ ...env, TRAININGS_USERS_URL: 'http://users.invalid' });
  const api = buildTrainingsService(config, { clock: { now: () => NOW }, users: { changeBalance: async () => undefined } });
  try {
    const [trainer, ann] = [`coach-${i}-${process.hrtime.bigint()}`, `ann-${i}-${process.hrtime.bigint()}`];
    const expectStatus = (what: string, got: number, want: number) => {
      if (got !== want) throw new Error(`test ${i}: ${what} answered ${got}, expected ${want}`);
    };
    const hours = ['2030-01-09T12:00:00.000Z', '2030-01-09T13:00:00.000Z'];
    expectStatus(
      'publish',
      (await api.inject({ method: 'PUT', url: '/trainer/hours', headers: coach(trainer), payload: { hours } })).statusCode,
      204,
    );
    expectStatus(
      'book',
      (await api.inject({ method: 'POST', url: '/trainings', headers: attendee(ann), payload: { trainerId: trainer, startsAt: hours[0] } }))
        .statusCode,
      201,
    );
    const mine = await api.inject({ method: 'GET', url: '/trainings', headers: attendee(ann) });
    expectStatus('list', mine.statusCode, 200);
    if ((mine.json() as { trainings: unknown[] }).trainings.length !== 1) throw new Error(`test ${i}: expected one training`);
    const free = await api.inject({
      method: 'GET',
      url: `/trainers/${trainer}/hours?from=2030-01-08T00:00:00.000Z&to=2030-01-10T00:00:00.000Z`,
      headers: attendee(ann),
    });
    expectStatus('hours', free.statusCode, 200);
  } finally {
    await api.close();
  }
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

async function suite(mode: Mode, realistic = false): Promise<{ wallMs: number; acquire: number[] }> {
  const worker = await mode.worker();
  const acquire: number[] = [];
  const start = performance.now();
  for (let i = 0; i < SUITE_TESTS; i++) {
    const asked = performance.now();
    const lease = await worker.acquire();
    acquire.push(performance.now() - asked);
    if (realistic) await componentTest(lease.env, i);
    else await testBody(lease.pool, i);
    await lease.release();
  }
  await worker.close(); // drops the last spaces: part of the suite's cost
  return { wallMs: performance.now() - start, acquire };
}

async function throughput(mode: Mode, workers: number): Promise<number> {
  const all = await Promise.all(Array.from({ length: workers }, () => mode.worker()));
  let left = THROUGHPUT_SPACES;
  const start = performance.now();
  await Promise.all(
    all.map(async (w) => {
      while (left-- > 0) {
        const lease = await w.acquire();
        await lease.pool.query('SELECT 1');
        await lease.release();
      }
    }),
  );
  await Promise.all(all.map((w) => w.close())); // sustained: the background drops count too
  return THROUGHPUT_SPACES / ((performance.now() - start) / 1000);
}

async function describeServer(server: ServerSettings, embedded: boolean): Promise<string> {
  const admin = new pg.Client(clientConfig(server));
  await admin.connect();
  const { rows } = await admin.query<Record<string, string>>(
    `SELECT current_setting('server_version') AS v, current_setting('fsync') AS fsync,
            current_setting('synchronous_commit') AS sc, current_setting('full_page_writes') AS fpw,
            current_setting('shared_buffers') AS sb, current_setting('data_directory', true) AS dir`,
  );
  const strategy = (await createStrategy(admin)).trim() || 'STRATEGY WAL_LOG (default)';
  await admin.end();
  const s = rows[0]!;
  const where = embedded ? `embedded cluster, data in ${s.dir ?? '?'}` : `${server.host}:${server.port}`;
  return `PostgreSQL ${s.v} (${where}); fsync=${s.fsync} synchronous_commit=${s.sc} full_page_writes=${s.fpw} shared_buffers=${s.sb}; CREATE DATABASE ${strategy}`;
}

function machine(): string {
  const cpus = os.cpus();
  let kernel = os.release();
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    /* not linux */
  }
  return `${cpus.length} × ${cpus[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${kernel}, node ${process.version}`;
}

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

async function main(): Promise<void> {
  const run = await startRun();
  try {
    await closeSession(); // startRun built the templates; the bench makes its own sessions
    const template = await new Session(run.server, run.id).template(migrators.trainings);
    console.log(`machine: ${machine()}`);
    if (process.env.BENCH_ONLY === 'component') return await componentSuites(run, ROUNDS);
    console.log(`server:  ${await describeServer(run.server, Boolean(run.cluster))}`);
    console.log(
      `suite:   ${SUITE_TESTS} tests, each 3 inserts + 1 update + 2 selects, run serially; median of ${ROUNDS} interleaved rounds. ` +
        `Throughput: ${THROUGHPUT_SPACES} spaces per figure. Warm pool: ${POOL[0]} ready, ${POOL[1]} made at once, per worker.\n`,
    );
    // Suites run in interleaved rounds (a b c d a b c d …) so machine noise hits
    // every mode alike; each mode's wall time is its median round.
    const all = modes(run.server, run.id, template);
    const walls = new Map<Mode, number[]>(all.map((m) => [m, []]));
    const acquires = new Map<Mode, number[]>(all.map((m) => [m, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of all) {
        const { wallMs, acquire } = await suite(mode);
        walls.get(mode)!.push(wallMs);
        acquires.get(mode)!.push(...acquire);
      }
      process.stderr.write(`  suite round ${round + 1}/${ROUNDS} done\n`);
    }
    const rows: string[][] = [];
    const median = (mode: Mode) => percentile(walls.get(mode)!, 0.5);
    for (const mode of all) {
      const rates = [];
      for (const workers of [1, 2, 4]) rates.push(await throughput(mode, workers));
      rows.push([
        mode.label,
        fmt(percentile(acquires.get(mode)!, 0.5)),
        fmt(percentile(acquires.get(mode)!, 0.95)),
        ...rates.map((r) => r.toFixed(0)),
        `${(median(mode) / 1000).toFixed(2)} s`,
      ]);
    }
    const byKey = (key: string) => all.find((m) => m.key === key)!;
    const header = ['mode', 'acquire p50 ms', 'acquire p95 ms', 'spaces/s ×1', '×2', '×4', `${SUITE_TESTS}-test suite`];
    console.log(`| ${header.join(' | ')} |`);
    console.log(`|${header.map(() => '---').join('|')}|`);
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
    const shared = median(byKey('d'));
    console.log(
      `\nmicro suite, a space per test / one shared database: drop (c) ${ratio(median(byKey('c')), shared)}, recycle (e) ${ratio(median(byKey('e')), shared)}`,
    );

    // The realistic suite, interleaved the same way, for the three modes that matter.
    const real = ['c', 'd', 'e'].map(byKey);
    const realWalls = new Map<Mode, number[]>(real.map((m) => [m, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of real) realWalls.get(mode)!.push((await suite(mode, true)).wallMs);
      process.stderr.write(`  realistic round ${round + 1}/${ROUNDS} done\n`);
    }
    const realMedian = (key: string) => percentile(realWalls.get(byKey(key))!, 0.5);
    console.log(
      `realistic suite (${SUITE_TESTS} component tests: service built per test, publish + book + 2 reads through inject): ` +
        `drop (c) ${(realMedian('c') / 1000).toFixed(2)} s, shared (d) ${(realMedian('d') / 1000).toFixed(2)} s, recycle (e) ${(realMedian('e') / 1000).toFixed(2)} s; ` +
        `a space per test / shared: drop ${ratio(realMedian('c'), realMedian('d'))}, recycle ${ratio(realMedian('e'), realMedian('d'))}`,
    );
    await componentSuites(run, ROUNDS);
  } finally {
    await finishRun(run);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
});
