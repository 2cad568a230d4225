import { expect } from 'chai';
import { errorBody } from '../../src/shared/http-errors.js';
import { usersHttpClient, UsersServiceError } from '../../src/trainings/adapters/users-http-client.js';
import { DomainError } from '../../src/trainings/domain/errors.js';
import { interceptOutboundHttp } from '../support/outbound-http.js';
import { requestProblem, responseProblem, trainingsExpectations, usersDocument, type ApiDocument, type Interaction } from './contract.js';

// Consumer side: what the trainings service expects of the users API is what the users API documents,
// and the trainings users client does the right thing with each answer.

/** What is wrong with `interaction` by `document`, named after it. */
function conformance(document: ApiDocument, interaction: Interaction): string[] {
  const { method, path, body } = interaction.request;
  return [
    requestProblem(document, method, path, body),
    responseProblem(document, method, path, interaction.response.status, interaction.response.body),
  ]
    .filter((p): p is string => !!p)
    .map((p) => `trainings → users, "${interaction.description}": ${p}`);
}

/** A full answer from the fields the consumer reads (messages are free text: any will do). */
function answer(interaction: Interaction): Record<string, unknown> {
  const body = interaction.response.body as { error?: { code: string } };
  return body.error ? { ...errorBody(body.error.code, `${body.error.code} (for the contract test)`) } : body;
}

describe('contract trainings → users: the trainings service (consumer)', function () {
  for (const interaction of trainingsExpectations()) {
    it(`expects only what the users API documents: ${interaction.description}`, function () {
      expect(
        conformance(usersDocument(), { ...interaction, response: { ...interaction.response, body: answer(interaction) } }),
      ).to.deep.equal([]);
    });

    it(`reads the answer as "${interaction.trainings}": ${interaction.description}`, async function () {
      const http = interceptOutboundHttp();
      try {
        http
          .origin('http://users.test')
          .intercept({ path: interaction.request.path, method: interaction.request.method, body: JSON.stringify(interaction.request.body) })
          .reply(interaction.response.status, answer(interaction), { headers: { 'content-type': 'application/json' } });
        const { change } = interaction.request.body as { change: number };
        const userId = decodeURIComponent(interaction.request.path.split('/')[2]!);
        const outcome = await usersHttpClient('http://users.test')
          .changeBalance(userId, change)
          .then(
            () => 'paid',
            (err: unknown) => (err instanceof DomainError || err instanceof UsersServiceError ? err.code : `unexpected: ${String(err)}`),
          );
        expect(outcome).to.equal(interaction.trainings);
      } finally {
        await http.close();
      }
    });
  }

  it('reads any other answer as the users service being unavailable (502 to its own callers)', async function () {
    const http = interceptOutboundHttp();
    try {
      http
        .origin('http://users.test')
        .intercept({ path: '/users/ann/balance', method: 'POST' })
        .reply(422, { error: { code: 'balance-limit', message: 'too much' } });
      const err = await usersHttpClient('http://users.test')
        .changeBalance('ann', 1)
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(UsersServiceError);
    } finally {
      await http.close();
    }
  });

  it('fails the contract, saying where, when the users API renames a field the consumer reads (balance → credits)', function () {
    const drifted = JSON.parse(JSON.stringify(usersDocument()).replaceAll('"balance"', '"credits"')) as ApiDocument;
    expect(conformance(drifted, trainingsExpectations()[0]!)).to.deep.equal([
      `trainings → users, "charging an attendee who can pay": POST /users/{id}/balance 200: body must have required property 'credits', body must NOT have additional properties`,
    ]);
  });
});
