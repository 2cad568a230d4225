import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { migrators } from '../../pgspace.config.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';
import { loadUsersConfig } from '../../src/users/config.js';
import { buildUsersService } from '../../src/users/service.js';
import { breaches, driveTrainings, loadSlo, table } from './drive.js';

// `npm run load`: both services on fresh spaces, listening on 127.0.0.1, under test/load/drive.ts's
// load for LOAD_SECONDS (default 20) with LOAD_CONNECTIONS attendees (default 10). Fails when a run
// breaks an objective in slo.json. Not part of npm test (it takes its time); .ci/run runs a short one.

const seconds = Number(process.env.LOAD_SECONDS ?? 20);
const connections = Number(process.env.LOAD_CONNECTIONS ?? 10);

async function listening(app: FastifyInstance): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}

describe('load on the trainings API', function () {
  this.timeout((seconds + 60) * 1000);
  const apps: FastifyInstance[] = [];

  afterEach(async function () {
    // Trainings first (it calls users). Connections still busy when close() starts become idle keep-alive
    // ones afterwards and would hold it until they time out (fastify: 72 s): the load is over, end them all.
    for (const app of apps.splice(0).reverse()) {
      const closing = app.close();
      app.server.closeAllConnections();
      await closing;
    }
  });

  it(`meets its objectives (test/load/slo.json) for ${seconds} s`, async function () {
    const usersSpace = await newSpace(this, { migrator: migrators.users });
    const trainingsSpace = await newSpace(this);
    const users = buildUsersService(loadUsersConfig(usersSpace.config.users!));
    apps.push(users);
    const usersUrl = await listening(users);
    const trainings = buildTrainingsService(loadTrainingsConfig({ ...trainingsSpace.config.trainings, TRAININGS_USERS_URL: usersUrl }));
    apps.push(trainings);
    const trainingsUrl = await listening(trainings);

    const slo = loadSlo();
    const figures = await driveTrainings({ trainingsUrl, usersUrl, seconds, connections });
    console.log(`\n${table(figures, slo)}\n`);
    expect(breaches(figures, slo)).to.deep.equal([]);
  });
});
