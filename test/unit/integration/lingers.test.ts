import { expect } from 'chai';
import { jsState, lingers, sameState } from '../../../internal/integration/session/space.js';
import { EventEmitter } from 'node:events';

// A recycled space's session is handed to the next test only when nothing the test sent may have
// left what DISCARD ALL cannot clear (session/space.ts). A false "lingers" costs a new session; a
// missed one lets a custom setting's placeholder reach the next test.

describe('lingers(): SQL after which a session is not handed on', function () {
  for (const sql of [
    `SET app.tenant = 'x'`,
    `set local app.tenant to 'x'`,
    `SET SESSION "app".tenant = 'x'`,
    `RESET app.tenant`,
    `SET/**/app.tenant = 'x'`,
    `SET -- the tenant\n app.tenant = 'x'`,
    `SET café.tenant = 'x'`,
    `SET U&"\\0061pp".tenant = 'x'`,
    `SELECT set_config('app.tenant', 'x', false)`,
    `SELECT query_to_xml('SELECT 1', false, false, '')`,
    `SELECT * FROM ts_stat('SELECT 1')`,
    `DO $$ BEGIN PERFORM 1; END $$`,
    `DO LANGUAGE plpgsql 'BEGIN END'`,
    `LOAD 'auto_explain'`,
    `LISTEN channel`,
  ]) {
    it(`lingers: ${JSON.stringify(sql)}`, function () {
      expect(lingers(sql)).to.equal(true);
      expect(lingers({ text: sql, values: [] })).to.equal(true);
    });
  }

  it('lingers: a named statement (pg would believe it still prepared), and what is not SQL text', function () {
    expect(lingers({ name: 'by-id', text: 'SELECT 1' })).to.equal(true);
    expect(lingers({ submit() {} })).to.equal(true);
    expect(lingers(undefined)).to.equal(true);
  });

  for (const sql of [
    `SELECT 1`,
    `UPDATE hours SET status = 'x' WHERE id = $1`,
    `INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING`,
    `INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET n = t.n + 1`,
    `SET work_mem = '9MB'`,
    `SET ROLE pgspace_owner`,
    `INSERT INTO notes VALUES ('café, naïve — 東京')`,
    `BEGIN; SELECT pg_advisory_lock(1); COMMIT`,
    `SELECT setseed(0.5)`,
  ]) {
    it(`does not linger: ${JSON.stringify(sql)}`, function () {
      expect(lingers(sql)).to.equal(false);
    });
  }
});

describe('jsState(): what test code left on a pool or client object', function () {
  it("sees a listener, an added or replaced method, not a new release() or the library's data", function () {
    const o = Object.assign(new EventEmitter(), { query() {}, release() {} });
    const before = jsState(o);
    expect(sameState(before, jsState(Object.assign(o, { release() {}, hasExecuted: true }))), 'a new release(), pg state').to.equal(true);
    o.on('end', () => undefined);
    expect(sameState(before, jsState(o)), 'a listener').to.equal(false);
    const p = Object.assign(new EventEmitter(), { query() {} });
    const pBefore = jsState(p);
    Object.assign(p, { extra() {} });
    expect(sameState(pBefore, jsState(p)), 'an added method').to.equal(false);
    const q = Object.assign(new EventEmitter(), { query() {} });
    const qBefore = jsState(q);
    q.query = () => undefined;
    expect(sameState(qBefore, jsState(q)), 'a replaced method').to.equal(false);
  });
});
