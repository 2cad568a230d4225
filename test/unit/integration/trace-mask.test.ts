import { expect } from 'chai';
import { randomPassword } from '../../../internal/integration/common/credentials.js';
import { headerLines, ITEM_CHARS, mask, shown } from '../../../internal/integration/trace/mask.js';
import { fitPage } from '../../../internal/integration/trace/page.js';
import type { TestTrace } from '../../../internal/integration/trace/recorder.js';

describe("the trace page's masking", function () {
  const cases: [string, string][] = [
    ['postgresql://app:hunter2@db:5432/app', 'postgresql://app:***@db:5432/app'],
    ['redis://:hunter2@cache/0 and https://u:p@x.test/', 'redis://:***@cache/0 and https://u:***@x.test/'],
    [`CREATE ROLE app LOGIN PASSWORD 'it''s hunter2'`, `CREATE ROLE app LOGIN PASSWORD '***'`],
    [
      `ALTER USER app WITH ENCRYPTED PASSWORD 'hunter2' VALID UNTIL 'infinity'`,
      `ALTER USER app WITH ENCRYPTED PASSWORD '***' VALID UNTIL 'infinity'`,
    ],
    ['GET /login?user=ann&password=hunter2&next=/', 'GET /login?user=ann&password=***&next=/'],
    ['/cb?access_token=abc.def&state=1', '/cb?access_token=***&state=1'],
    [
      '{"name":"ann","password":"hun\\"ter2","nested":{"api_key":"k1","clientSecret":42}}',
      '{"name":"ann","password":"***","nested":{"api_key":"***","clientSecret":"***"}}',
    ],
    ['host=db user=app password=hunter2 dbname=app', 'host=db user=app password=*** dbname=app'],
    ['TRAININGS_DB_PASSWORD=hunter2', 'TRAININGS_DB_PASSWORD=***'],
    ['x-api-key: k1', 'x-api-key: ***'],
    ["expected { token: 'abc' } to equal {}", 'expected { token: *** } to equal {}'],
    ['Authorization: Bearer eyJhbGciOi.x.y', 'Authorization: Bearer ***'],
    ['SELECT api_key::text FROM keys WHERE owner = $1', 'SELECT api_key::text FROM keys WHERE owner = $1'],
    ['SELECT count(*) FROM hours', 'SELECT count(*) FROM hours'],
  ];
  for (const [input, output] of cases) {
    it(`masks ${JSON.stringify(input)}`, function () {
      expect(mask(input)).to.equal(output);
    });
  }

  it('masks every password pgspace made, by value, wherever it is', function () {
    const password = randomPassword();
    expect(mask(`the password is ${password}.`)).to.equal('the password is ***.');
    expect(mask('0123456789abcdef0123456789abcdef')).to.equal('0123456789abcdef0123456789abcdef'); // not one it made
  });

  it("masks the admin URL's password by value, unless it is an ordinary word", function () {
    const before = process.env.PGSPACE_ADMIN_URL;
    try {
      process.env.PGSPACE_ADMIN_URL = 'postgresql://admin:S3cure%2Fpw!@db:5432/postgres';
      expect(mask('echo S3cure/pw! S3cure%2Fpw!')).to.equal('echo *** ***');
      process.env.PGSPACE_ADMIN_URL = 'postgresql://postgres:postgres@db:5432/postgres';
      expect(mask('SELECT 1 FROM postgres.pg_roles')).to.equal('SELECT 1 FROM postgres.pg_roles');
    } finally {
      process.env.PGSPACE_ADMIN_URL = before;
    }
  });

  it("masks a credential header's whole value", function () {
    expect(headerLines({ authorization: 'Basic YWxhZGRpbjpvcGVu', 'X-Auth-Token': 't', cookie: 'a=1', accept: 'text/plain' })).to.equal(
      'authorization: ***\nX-Auth-Token: ***\ncookie: ***\naccept: text/plain',
    );
    expect(headerLines(['Set-Cookie', 'sid=1', 'x-api-key', 'k'])).to.equal('Set-Cookie: ***\nx-api-key: ***');
  });

  it('cuts long items at 4 KB, saying so, after masking a secret the cut goes through', function () {
    const text = `${'a'.repeat(ITEM_CHARS - 10)} postgresql://app:hunter2@db/app ${'b'.repeat(10_000)}`;
    const out = shown(text);
    expect(out)
      .to.have.length.below(ITEM_CHARS + 40)
      .and.match(/… \[cut at 4 KB\]$/);
    expect(out).to.not.include('hunt');
    expect(shown('short')).to.equal('short');
  });
});

describe("the trace page's size", function () {
  const test = (title: string, state: TestTrace['state'], events: number): TestTrace => ({
    title,
    runner: 'mocha',
    state,
    startedAt: 0,
    ms: 1,
    spaces: [],
    cut: 0,
    events: Array.from({ length: events }, (_, i) => ({ kind: 'sql' as const, at: i, text: 'x'.repeat(100) })),
  });

  it('keeps whole tests while they fit, failing first; then lists tests without events; then leaves them off, counted', function () {
    const tests = [test('pass a', 'passed', 50), test('fail', 'failed', 50), test('pass b', 'passed', 50), test('pass c', 'passed', 50)];
    const whole = JSON.stringify(tests[1]).length;
    const stub = JSON.stringify({ ...tests[0], events: [], eventsLeftOff: 50 }).length;
    const { tests: fitted, leftOff } = fitPage(tests, whole + 2 * stub + 10);
    expect(fitted.map((t) => [t.title, t.events.length, t.eventsLeftOff])).to.deep.equal([
      ['fail', 50, undefined],
      ['pass a', 0, 50],
      ['pass b', 0, 50],
    ]);
    expect(leftOff).to.equal(1);
  });

  it('keeps everything when it fits', function () {
    const tests = [test('a', 'passed', 3), test('b', 'failed', 3)];
    expect(fitPage(tests).tests.map((t) => t.title)).to.deep.equal(['b', 'a']);
    expect(fitPage(tests).leftOff).to.equal(0);
  });
});
