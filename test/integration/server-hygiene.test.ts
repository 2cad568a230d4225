import { expect } from 'chai';
import pg from 'pg';
import { keptBy } from '../../internal/integration/server/registry.js';
import { MAX_KEPT, Session, session } from '../../internal/integration/session/session.js';
import { dropSpacesWhere } from '../../internal/integration/spaces/reaper.js';
import { dropStaleTemplates, listTemplates } from '../../internal/integration/templates/template.js';
import { TEMPLATE_PREFIX } from '../../internal/integration/common/names.js';
import { pollUntil } from '../../internal/integration/common/poll.js';
import { migrators } from '../../pgspace.config.js';
import { liveRun, runServer, withAdmin } from '../support/admin.js';

// A long-lived shared server must not fill up: with old templates, or with the spaces of a suite that fails everywhere.

describe('a shared server stays tidy', function () {
  this.timeout(60_000);

  it('drops templates no run has used for a week, and keeps the ones in use', async function () {
    // Random names: several runs may share this server (and run this test) at once.
    const suffix = () => Array.from({ length: 16 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');
    const [old, recent] = [TEMPLATE_PREFIX + suffix(), TEMPLATE_PREFIX + suffix()];
    await withAdmin(async (admin) => {
      const inUse = await session().template(migrators.trainings); // this run's
      for (const name of [old, recent]) {
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE template0 IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      }
      // Upsert: a run starting meanwhile may already have noted them as first seen now.
      await admin.query(
        `INSERT INTO pgspace.templates (name, used_at) VALUES ($1, now() - interval '8 days'), ($2, now() - interval '6 days')
         ON CONFLICT (name) DO UPDATE SET used_at = excluded.used_at`,
        [old, recent],
      );
      try {
        // Under the template lock, which a build elsewhere may hold for a moment: until it is done.
        await pollUntil(
          'the stale template to be dropped',
          async () => ((await dropStaleTemplates(admin)).includes(old) || !(await listTemplates(admin)).includes(old) ? true : undefined),
          { timeoutMs: 20_000, intervalMs: 50 },
        );
        const left = await listTemplates(admin);
        expect(left).not.to.include(old);
        expect(left).to.include(recent);
        expect(left).to.include(inUse);
      } finally {
        await admin.query(`ALTER DATABASE ${pg.escapeIdentifier(recent)} WITH IS_TEMPLATE false`).catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(recent)}`);
        await admin.query(`DELETE FROM pgspace.templates WHERE name = ANY($1)`, [[old, recent]]);
      }
    });
  });

  it(`keeps at most ${MAX_KEPT} failing tests' spaces per run, dropping the oldest and saying so`, async function () {
    const { run, release } = await liveRun(); // a run of its own: its kept spaces are this test's alone
    const session = new Session(runServer(), run, 1, 1, false);
    const warnings: string[] = [];
    const names: string[] = [];
    try {
      for (let i = 0; i <= MAX_KEPT; i++) {
        const held = await session.acquire(migrators.trainings, `fails ${i}`);
        const released = await session.release([held], `fails ${i}`, true);
        names.push(held.space.name);
        warnings.push(...released.warnings);
      }
      const kept = await withAdmin((admin) => keptBy(admin, run));
      expect(kept).to.have.length(MAX_KEPT);
      expect(kept).not.to.include(names[0]);
      expect(warnings).to.deep.equal([`pgspace: this run keeps at most ${MAX_KEPT} spaces for debugging; dropped the oldest: ${names[0]}`]);
    } finally {
      await session.close();
      await withAdmin((admin) => dropSpacesWhere(admin, runServer(), (s) => s.run === run)); // kept, and the one it left ready
      await release();
    }
  });
});
