import { expect } from 'chai';
import { PgspaceError } from '../../../internal/integration/common/errors.js';
import { errorPlace, locate, showPlace, splitScript } from '../../../internal/integration/templates/sql-script.js';

// How a schema script is cut into what the server is sent, and where an error lands in the file.

const OWNER = '"pgspace_owner"';

describe('a schema script, split as psql -f would run it', function () {
  it('keeps statements together, COPY blocks apart, and each piece knows its first line', function () {
    const script = ['CREATE TABLE a (x int);', 'CREATE TABLE b (y text);', 'COPY a (x) FROM stdin;', '1', '2', '\\.', '', 'SELECT 1;'].join(
      '\n',
    );
    expect(splitScript(script, OWNER, 'dump.sql')).to.deep.equal([
      { kind: 'sql', text: 'CREATE TABLE a (x int);\nCREATE TABLE b (y text);', line: 1 },
      { kind: 'copy', statement: 'COPY a (x) FROM stdin', rows: '1\n2\n', line: 3 },
      { kind: 'sql', text: '\nSELECT 1;', line: 7 },
    ]);
  });

  it("gives a dump's OWNER TO lines to the owner role, whatever role they named", function () {
    const [piece] = splitScript('ALTER TABLE public.a OWNER TO postgres;\nALTER SCHEMA s OWNER TO "Some ""role""";', OWNER, 'dump.sql');
    expect(piece).to.deep.equal({
      kind: 'sql',
      text: `ALTER TABLE public.a OWNER TO ${OWNER};\nALTER SCHEMA s OWNER TO ${OWNER};`,
      line: 1,
    });
  });

  it("skips pg_dump's \\restrict guard, keeping line numbers", function () {
    const pieces = splitScript('\\restrict abc\nSELECT 1;\n\\unrestrict abc', OWNER, 'dump.sql');
    expect(pieces).to.deep.equal([{ kind: 'sql', text: '\nSELECT 1;\n', line: 1 }]);
  });

  for (const [what, script, message] of [
    [
      'a psql command',
      'SELECT 1;\n\\connect other',
      'dump.sql:2: `\\connect` is a psql command, not SQL; remove it (a schema file runs in the database it is given)',
    ],
    ['a COPY without its end', 'COPY a FROM stdin;\n1', 'dump.sql:1: COPY … FROM stdin has no closing `\\.` line'],
  ] as const) {
    it(`refuses ${what}, naming file and line, as a schema error`, function () {
      let thrown: unknown;
      try {
        splitScript(script, OWNER, 'dump.sql');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).to.be.instanceOf(PgspaceError);
      expect((thrown as PgspaceError).code).to.equal('schema');
      expect((thrown as PgspaceError).message).to.equal(message);
    });
  }
});

describe("where a server error's position lands in the file", function () {
  const text = 'CREATE TABLE a (\n  id int GENERATED ALWAYS AS (1) VIRTUAL\n);';

  it("finds the line and column of a 1-based position, from the piece's first line in the file", function () {
    const at = locate(text, text.indexOf('VIRTUAL') + 1, 10);
    expect(at).to.deep.equal({ line: 11, column: 34, source: '  id int GENERATED ALWAYS AS (1) VIRTUAL' });
    expect(showPlace(at)).to.equal('\n      id int GENERATED ALWAYS AS (1) VIRTUAL\n                                     ^');
  });

  it('reads the position pg gives (a string), and nothing from an error without one', function () {
    expect(errorPlace({ position: '1' }, text)).to.deep.equal({ line: 1, column: 1, source: 'CREATE TABLE a (' });
    expect(errorPlace({ message: 'no position' }, text)).to.equal(undefined);
    expect(errorPlace({ position: 'x' }, text)).to.equal(undefined);
  });
});
