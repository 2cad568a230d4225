import { expect } from 'chai';
import pg from 'pg';
import { CAP_REACHED, keepSql } from '../../internal/integration/server/registry.js';
import { dropSpacesWhere } from '../../internal/integration/spaces/reaper.js';
import { Session, session, type HeldSpace } from '../../internal/integration/session/session.js';
import { capFromEnv, MAX_SPACES_VAR } from '../../internal/integration/spaces/space-cap.js';
import { clientConfig } from '../../internal/integration/server/server.js';
import { createSpace, createStrategy, dropSpace } from '../../internal/integration/spaces/spaces.js';
import { migrators } from '../../pgspace.config.js';
import { liveRun, runServer, withAdmin } from '../support/admin.js';

// A run's cap on spaces held at once, on the real server: what keeps one run sharing a server from taking all of it.

describe("a run's cap on spaces held at once", function () {
  this.timeout(60_000);
  let run: number;
  let release: () => Promise<void>;
  let admins: pg.Pool;
  let template: string;
  const made: string[] = [];

  beforeEach(async function () {
    ({ run, release } = await liveRun()); // a run of its own, alive: no run starting meanwhile reaps its spaces
    admins = new pg.Pool({ ...clientConfig(runServer()), max: 8 }); // eight sessions: as many processes of one run
    template = await session().template(migrators.trainings);
  });

  afterEach(async function () {
    await withAdmin(async (admin) => {
      for (const name of made.splice(0)) await dropSpace(admin, runServer(), name);
    });
    await admins.end();
    await release();
  });

  const create = async (cap: number) => {
    const id = await createSpace(admins, template, run, await createStrategy(admins), cap);
    made.push(id.name);
    return id;
  };

  it('holds across processes: eight spaces asked for at once under a cap of 3 make exactly 3', async function () {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => create(3)));
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(3);
    expect(refused).to.deep.equal(Array(5).fill(CAP_REACHED));
    const { rows } = await admins.query<{ n: number }>('SELECT count(*)::int AS n FROM pgspace.spaces WHERE run = $1', [run]);
    expect(rows[0]!.n, 'a refused space leaves no row').to.equal(3);
    const { rows: roles } = await admins.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_roles WHERE rolname = ANY($1)', [made]);
    expect(roles[0]!.n).to.equal(3);
  });

  it("does not count kept spaces: a failing test's space kept for debugging frees its place", async function () {
    const first = await create(1);
    expect(
      await create(1).then(
        () => 'made',
        (err: { code?: string }) => err.code,
      ),
    ).to.equal(CAP_REACHED);
    await admins.query(keepSql(first.name, first.name, 'a failing test', first.password));
    await create(1);
  });

  it('is a budget the warm pool keeps to: capped at one space, a session takes and gives back 20 in a row, and never holds two', async function () {
    const before = process.env[MAX_SPACES_VAR];
    process.env[MAX_SPACES_VAR] = '1'; // read when the session first asks for its cap
    const s = new Session(runServer(), run); // the default warm pool: 4 ready spaces, were the cap not smaller
    const most = { held: 0 };
    try {
      for (let i = 0; i < 20; i++) {
        const held: HeldSpace = await s.acquire(migrators.trainings, `capped ${i}`);
        const { rows } = await admins.query<{ n: number }>('SELECT count(*)::int AS n FROM pgspace.spaces WHERE run = $1', [run]);
        most.held = Math.max(most.held, rows[0]!.n);
        await s.release([held], `capped ${i}`, false);
      }
    } finally {
      if (before === undefined) delete process.env[MAX_SPACES_VAR];
      else process.env[MAX_SPACES_VAR] = before;
      await s.close();
      await withAdmin((admin) => dropSpacesWhere(admin, runServer(), (space) => space.run === run)); // it left its ready one for the run
    }
    expect(most.held, 'spaces the run held at once').to.equal(1);
  });

  for (const bad of ['0', '-3', 'many', '2.5']) {
    it(`refuses PGSPACE_MAX_SPACES=${bad} with a message that says what to write`, function () {
      expect(() => capFromEnv({ PGSPACE_MAX_SPACES: bad })).to.throw(/is not a number of spaces: write a whole number, 1 or more/);
    });
  }
});
