import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { traceLogStream } from '../../internal/integration/index.js';
import { newSpace } from '../../internal/integration/runners/mocha-spaces.js';
import { migrators } from '../../pgspace.config.js';
import { postgresUsersRepository } from '../../src/users/adapters/postgres-users.js';
import { loadUsersConfig } from '../../src/users/config.js';
import { buildUsersService } from '../../src/users/service.js';
import {
  fieldProblems,
  generateUsersDocument,
  responseProblem,
  trainingsExpectations,
  usersDocument,
  type Interaction,
} from './contract.js';

// Provider side: the real users service, on a space, against the contract.

/** Replays `interaction` on `api` (state set up through `given`); what is wrong, named after the interaction. */
async function verify(
  api: FastifyInstance,
  given: (balances: Record<string, number>) => Promise<void>,
  interaction: Interaction,
): Promise<string[]> {
  await given(interaction.given);
  const { method, path, body } = interaction.request;
  const res = await api.inject({ method: method as 'POST', url: path, ...(body === undefined ? {} : { payload: body as object }) });
  const answer = res.body ? (res.json() as unknown) : undefined;
  const problems = [
    ...(res.statusCode === interaction.response.status
      ? []
      : [`status ${res.statusCode}, the consumer expects ${interaction.response.status}`]),
    ...[responseProblem(usersDocument(), method, path, res.statusCode, answer)].filter((p): p is string => !!p),
    ...fieldProblems(interaction.response.body, answer),
  ];
  return problems.map(
    (p) => `trainings → users, "${interaction.description}": ${method} ${path} answered ${res.statusCode} ${res.body}: ${p}`,
  );
}

describe('contract trainings → users: the users service (provider)', function () {
  let api: FastifyInstance;
  let given: (balances: Record<string, number>) => Promise<void>;

  beforeEach(async function () {
    const space = await newSpace(this, { migrator: migrators.users });
    api = buildUsersService(loadUsersConfig(space.config.users!), { logger: { level: 'info', stream: traceLogStream() } });
    const users = postgresUsersRepository(space.pool);
    given = async (balances) => {
      for (const [id, balance] of Object.entries(balances)) {
        await users.changeBalance(id, balance + 1); // a top-up makes the user; then down to the balance
        await users.changeBalance(id, -1);
      }
    };
  });

  afterEach(async function () {
    await api.close();
  });

  it('describes itself as the committed document (npm run contract:update writes it)', async function () {
    // As text, so a change shows as a line diff of the document.
    const [now, committed] = [await generateUsersDocument(), usersDocument()].map((d) => JSON.stringify(d, null, 2));
    expect(
      now,
      'the users API changed since test/contract/users-api.openapi.json was written: run `npm run contract:update`, then `npm run test:contract` says whether trainings still agrees',
    ).to.equal(committed);
  });

  for (const interaction of trainingsExpectations()) {
    it(`answers as the consumer expects: ${interaction.description}`, async function () {
      expect(await verify(api, given, interaction)).to.deep.equal([]);
    });
  }

  it('fails the contract, saying where, when it renames a field the consumer reads (balance → credits)', async function () {
    // The drift, as a provider change would make it: the answer's field renamed on its way out.
    api.addHook('onSend', async (_request, _reply, payload) =>
      typeof payload === 'string' ? payload.replace('"balance":', '"credits":') : payload,
    );
    const problems = await verify(api, given, trainingsExpectations()[0]!);
    expect(problems).to.deep.equal([
      `trainings → users, "charging an attendee who can pay": POST /users/ann/balance answered 200 {"id":"ann","credits":0}: POST /users/{id}/balance 200: body must have required property 'balance', body must NOT have additional properties`,
      `trainings → users, "charging an attendee who can pay": POST /users/ann/balance answered 200 {"id":"ann","credits":0}: body.balance is undefined, the consumer expects 0`,
    ]);
  });
});
