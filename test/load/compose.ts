/**
 * `make load` (in the test container, `npm run load:compose`): the same load
 * as `npm run load`, against the services' production images that
 * docker-compose.yml starts, at E2E_TRAININGS_URL and E2E_USERS_URL. Exits 1
 * when a run breaks an objective in slo.json.
 */
import { breaches, driveTrainings, loadSlo, table } from './drive.js';

const trainingsUrl = process.env.E2E_TRAININGS_URL;
const usersUrl = process.env.E2E_USERS_URL;
if (!trainingsUrl || !usersUrl) {
  console.error('load: E2E_TRAININGS_URL and E2E_USERS_URL must point at the services (make load sets them)');
  process.exit(2);
}
const slo = loadSlo();
const figures = await driveTrainings({
  trainingsUrl,
  usersUrl,
  seconds: Number(process.env.LOAD_SECONDS ?? 20),
  connections: Number(process.env.LOAD_CONNECTIONS ?? 10),
});
console.log(`\n${table(figures, slo)}\n`);
const broken = breaches(figures, slo);
for (const line of broken) console.error(`load: objective broken: ${line}`);
process.exitCode = broken.length > 0 ? 1 : 0;
