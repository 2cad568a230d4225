import { expect } from 'chai';
import { isConnectionLost, isServerFull, isTooManyConnections } from '../../../internal/integration/common/connection-errors.js';

// How the session tells what happened to a connection, from what pg gave it.

describe('connection errors, told apart', function () {
  const cases: [string, unknown, { lost: boolean; full: boolean; tooMany: boolean }][] = [
    ['refused', { code: 'ECONNREFUSED' }, { lost: true, full: false, tooMany: false }],
    ['reset', { code: 'ECONNRESET' }, { lost: true, full: false, tooMany: false }],
    ['the socket file gone', { code: 'ENOENT' }, { lost: true, full: false, tooMany: false }],
    [
      'an admin shutdown (57P01)',
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { lost: true, full: false, tooMany: false },
    ],
    ['a crash', { message: 'terminating connection due to crash of another server process' }, { lost: true, full: false, tooMany: false }],
    ["pg's own words", { message: 'Connection terminated unexpectedly' }, { lost: true, full: false, tooMany: false }],
    ['no slot left (53300)', { code: '53300', message: 'sorry, too many clients already' }, { lost: false, full: false, tooMany: true }],
    ['a full disk (53100)', { code: '53100' }, { lost: false, full: true, tooMany: false }],
    ['a checkpoint that could not write', { message: 'checkpoint request failed' }, { lost: false, full: true, tooMany: false }],
    [
      'No space left on device',
      { code: '58P01', message: 'could not write: No space left on device' },
      { lost: false, full: true, tooMany: false },
    ],
    ['a syntax error', { code: '42601', message: 'syntax error at or near "x"' }, { lost: false, full: false, tooMany: false }],
    ['not an error at all', undefined, { lost: false, full: false, tooMany: false }],
  ];
  for (const [what, err, expected] of cases) {
    it(`${what}: ${
      Object.entries(expected)
        .filter(([, v]) => v)
        .map(([k]) => k)
        .join(', ') || 'none of them'
    }`, function () {
      expect({ lost: isConnectionLost(err), full: isServerFull(err), tooMany: isTooManyConnections(err) }).to.deep.equal(expected);
    });
  }
});
