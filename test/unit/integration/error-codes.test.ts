import { expect } from 'chai';
import { PgspaceError } from '../../../internal/integration/common/errors.js';
import { pollUntil, withDeadline } from '../../../internal/integration/common/poll.js';
import { parseServerUrl } from '../../../internal/integration/server/server.js';
import { shardFromEnv } from '../../../internal/integration/shard/plan.js';
import { capFromEnv } from '../../../internal/integration/spaces/space-cap.js';

// Code that handles a pgspace failure branches on its code, never its message (which is for people).

async function codeOf(fail: () => unknown): Promise<string | undefined> {
  try {
    await fail();
  } catch (err) {
    expect(err).to.be.instanceOf(PgspaceError);
    return (err as PgspaceError).code;
  }
  return undefined;
}

describe("a pgspace error's code", function () {
  it('says a wait ran out: timeout', async function () {
    expect(await codeOf(() => pollUntil('never', () => undefined, { timeoutMs: 5, intervalMs: 1 }))).to.equal('timeout');
    expect(await codeOf(() => withDeadline(new Promise(() => undefined), 5, 'nothing'))).to.equal('timeout');
  });

  it('says a setting is wrong: config', async function () {
    expect(await codeOf(() => parseServerUrl('postgresql://x:y@:notaport/db'))).to.equal('config');
    expect(await codeOf(() => shardFromEnv({ SHARD: '3/2' }))).to.equal('config');
    expect(await codeOf(() => capFromEnv({ PGSPACE_MAX_SPACES: 'lots' }))).to.equal('config');
  });

  it('keeps the message for people, and stack = the message, prefixed', function () {
    const err = new PgspaceError('space', 'creating a space failed');
    expect([err.code, err.message, err.stack, err.name]).to.deep.equal([
      'space',
      'creating a space failed',
      'pgspace: creating a space failed',
      'PgspaceError',
    ]);
  });
});
