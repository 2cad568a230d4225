import { expect } from 'chai';
import pg from 'pg';
import { Session, type HeldSpace } from '../../internal/integration/session/session.js';
import { tenants } from '../fixtures/schemas/tenants/schema.js';
import { adminQuery, ownRun, runServer } from '../support/admin.js';
import { spaceState, stateDiff } from '../support/space-state.js';

// Recycling against random tests: each case is a test that first checks its space holds exactly
// what a fresh clone of the tenants template holds (as the admin sees it), then makes a random
// sequence of writes — through row-level security as one tenant or another, definer functions
// and triggers, rules, partitions, inheritance, truncation, VACUUM, ANALYZE, large objects,
// session state, two sessions at once — and passes. The spaces go back through recycling, so
// later cases get earlier cases' databases. The cases are random but fixed: the same seed
// (PGSPACE_GENERATOR_SEED, default below) gives the same cases; PGSPACE_GENERATOR_CASES sets how many.

const SEED = Number(process.env.PGSPACE_GENERATOR_SEED ?? 20261201);
const CASES = Number(process.env.PGSPACE_GENERATOR_CASES ?? 30);

/** mulberry32: small, seedable, good enough to pick test steps. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
const lit = pg.escapeLiteral;

const TENANTS = ['seed', 'other', 't1', 't2'] as const;
const WORDS = ['a', "it's", 'ünïcode', 'tab\there', 'x'.repeat(300), '', 'NULL', "'; DROP TABLE notes; --"];

/** One step of a random test: what it is (for the failure message) and the SQL, run in one of two sessions. */
interface Step {
  label: string;
  session: 0 | 1;
  sql: string[];
}

/** The kinds of step, each drawing its own parameters. */
const STEPS: ((rng: Rng) => Omit<Step, 'session'>)[] = [
  (r) => {
    const t = pick(r, TENANTS);
    return {
      label: `insert notes as ${t}`,
      sql: [`SET app.tenant = ${lit(t)}`, `INSERT INTO notes (body) VALUES (${lit(pick(r, WORDS))}), (${lit(pick(r, WORDS))})`],
    };
  },
  (r) => {
    const t = pick(r, TENANTS);
    return { label: `update notes as ${t}`, sql: [`SET app.tenant = ${lit(t)}`, `UPDATE notes SET body = body || ${lit(pick(r, WORDS))}`] };
  },
  (r) => {
    const t = pick(r, TENANTS);
    return { label: `delete notes as ${t}`, sql: [`SET app.tenant = ${lit(t)}`, `DELETE FROM notes WHERE id % 2 = ${int(r, 0, 1)}`] };
  },
  (r) => ({ label: 'purge a tenant through a definer function', sql: [`SELECT purge_tenant(${lit(pick(r, TENANTS))})`] }),
  (r) => ({ label: 'tickets through a definer function', sql: [`SELECT next_ticket() FROM generate_series(1, ${int(r, 1, 3)})`] }),
  (r) => ({ label: 'bump a superuser-owned counter', sql: [`SELECT bump(${lit(pick(r, ['visits', 'new', 'other']))})`] }),
  (r) => ({ label: 'events through a rule', sql: [`INSERT INTO events (kind) VALUES (${lit(pick(r, WORDS))})`] }),
  (r) => ({
    label: 'readings into partitions',
    sql: [`INSERT INTO readings VALUES (${lit(`${int(r, 1990, 2035)}-0${int(r, 1, 9)}-1${int(r, 0, 9)}`)}, ${int(r, -5, 5)})`],
  }),
  (r) => ({ label: 'delete readings', sql: [`DELETE FROM readings WHERE value ${pick(r, ['<', '>'])} ${int(r, -2, 2)}`] }),
  (r) => ({
    label: 'animals through inheritance',
    sql: [
      pick(r, [
        `INSERT INTO dogs VALUES ('fido', false)`,
        `UPDATE animals SET name = upper(name)`,
        `DELETE FROM ONLY animals`,
        `DELETE FROM animals`,
      ]),
    ],
  }),
  (r) => ({
    label: 'cache upsert behind a trigger',
    sql: [`INSERT INTO cache VALUES (${lit(pick(r, ['a', 'b']))}, 'v') ON CONFLICT (key) DO UPDATE SET value = 'w'`],
  }),
  () => ({
    label: 'people and folders round a cycle',
    sql: [`INSERT INTO people (home) SELECT min(id) FROM folders`, `UPDATE folders SET home_of = (SELECT max(id) FROM people)`],
  }),
  (r) => ({ label: 'tags deleted with cascades', sql: [`DELETE FROM tags WHERE name = ${lit(pick(r, ['red', 'green', 'blue']))}`] }),
  (r) => ({
    label: 'tags added',
    sql: [
      `INSERT INTO tags (name) SELECT 'g' || g || ${lit(pick(r, WORDS))} FROM generate_series(1, ${int(r, 1, 120)}) g ON CONFLICT DO NOTHING`,
    ],
  }),
  (r) => ({
    label: 'truncate',
    sql: [`TRUNCATE ${pick(r, ['tags', 'notes', 'events, event_copies', 'readings', 'animals', 'folders, people'])} CASCADE`],
  }),
  (r) => ({
    label: 'sequences moved',
    sql: [`SELECT nextval('folders_id_seq'), setval('events_id_seq', ${int(r, 1, 1000)}, ${pick(r, ['true', 'false'])})`],
  }),
  () => ({ label: 'a large object', sql: [`SELECT lo_from_bytea(0, 'x')`] }),
  (r) => ({ label: 'VACUUM (FREEZE)', sql: [`VACUUM (FREEZE) ${pick(r, ['tags', 'notes', 'readings_other', 'cache'])}`] }),
  (r) => ({ label: 'ANALYZE', sql: [`ANALYZE ${pick(r, ['tags', 'notes', 'readings', 'animals'])}`] }),
  () => ({
    label: 'session state',
    sql: [`CREATE TEMP TABLE IF NOT EXISTS scratch (x int)`, `SELECT pg_try_advisory_lock(7)`, `LISTEN here`, `SET work_mem = '9MB'`],
  }),
  (r) => ({
    label: 'writes rolled back',
    sql: ['BEGIN', `INSERT INTO tags (name) VALUES (${lit(`rolled ${int(r, 0, 1e6)}`)})`, `SELECT next_ticket()`, 'ROLLBACK'],
  }),
  () => ({
    label: 'a savepoint undone',
    sql: ['BEGIN', `INSERT INTO events (kind) VALUES ('kept')`, 'SAVEPOINT s', `DELETE FROM events`, 'ROLLBACK TO s', 'COMMIT'],
  }),
];

/** A random test: 1 to 6 steps, spread over two sessions. */
function randomTest(rng: Rng): Step[] {
  return Array.from({ length: int(rng, 1, 6) }, () => ({ ...pick(rng, STEPS)(rng), session: int(rng, 0, 1) as 0 | 1 }));
}

async function oidOf(database: string): Promise<number> {
  return (await adminQuery<{ oid: number }>('SELECT oid FROM pg_database WHERE datname = $1', [database])).rows[0]!.oid;
}

describe(`recycling against ${CASES} random tests (seed ${SEED})`, function () {
  this.timeout(240_000);
  const run = ownRun(); // its first space is a fresh clone: no other test's session left this run one

  it('gives every test a space that holds exactly what a fresh one does', async function () {
    const rng = random(SEED);
    // One ready space at a time: a released space is soon handed out again.
    const session = new Session(runServer(), run(), 1, 1);
    /** What the last test did in each database (by OID), for the failure message. */
    const lastSteps = new Map<number, string[]>();
    let fresh: string[] | undefined;
    let recycled = 0;
    const leaks: string[] = [];
    try {
      for (let n = 0; n < CASES; n++) {
        const held: HeldSpace = await session.acquire(tenants, `generated test ${n}`);
        const oid = await oidOf(held.space.database);
        const state = await spaceState(held.space.database);
        fresh ??= state; // the first space ever made is a fresh clone
        const before = lastSteps.get(oid);
        if (before) recycled++;
        const diff = stateDiff(state, fresh);
        if (diff.length > 0)
          leaks.push(
            `test ${n} found what an earlier test in its database left, after: ${before?.join('; ')}:\n    ${diff.join('\n    ')}`,
          );
        const steps = randomTest(rng);
        const clients = [await held.space.pool.connect(), await held.space.pool.connect()];
        try {
          for (const step of steps) for (const sql of step.sql) await clients[step.session]!.query(sql);
        } catch (err) {
          // From the template's state every step succeeds: a failure is what an earlier test left.
          leaks.push(
            `test ${n} (${steps.map((s) => s.label).join('; ')}) failed (${(err as Error).message}) after an earlier test in its database did: ${before?.join('; ')}`,
          );
          await clients[0]!.query('ROLLBACK').catch(() => undefined);
          await clients[1]!.query('ROLLBACK').catch(() => undefined);
        } finally {
          for (const c of clients) c.release();
        }
        lastSteps.set(
          oid,
          steps.map((s) => s.label),
        );
        await session.release([held], `generated test ${n}`, false);
      }
    } finally {
      await session.close();
    }
    expect(leaks, `${leaks.length} of ${CASES} tests did not start from the template's state`).to.deep.equal([]);
    // Not vacuous: most spaces went round again (the others were dropped, as they must be when in doubt).
    expect(recycled, 'tests that got a recycled space').to.be.at.least(CASES / 3);
  });
});
