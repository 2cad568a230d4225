/**
 * The users service as the trainings service's tests see it: declared
 * answers to `POST /users/:id/balance` on http://users.test, through the
 * test's outbound-HTTP interceptor, with balances in memory. Every answer it
 * gives by the balances must be one the users API documents
 * (test/contract): a stand-in that drifts from the real service fails the test.
 */
import { errorBody as error } from '../../src/shared/http-errors.js';
import { responseProblem, usersDocument } from '../contract/contract.js';
import type { OutboundHttp } from '../support/outbound-http.js';

/** The stand-in; a test changes `balances` and `answer`, and reads `received`. */
export interface UsersServiceMock {
  url: string;
  balances: Map<string, number>;
  /** 'balances' answers by the balances (200; 409 below zero; 404 charging a user not in them); a number answers that status. */
  answer: 'balances' | number;
  /** Every balance change asked for, in order. */
  received: { userId: string; change: number }[];
}

const document = usersDocument();

/** The users service's rules, on `balances`: a status and a body. */
function byBalances(balances: Map<string, number>, userId: string, change: number): [number, object] {
  if (!balances.has(userId) && change <= 0) return [404, error('user-not-found', `user ${userId} has never had a training balance`)];
  const balance = (balances.get(userId) ?? 0) + change;
  if (balance < 0) return [409, error('insufficient-balance', `user ${userId} has ${balance - change}`)];
  balances.set(userId, balance);
  return [200, { id: userId, balance }];
}

/** Declares the users service at `url` on `http`; `delayMs` holds every answer back that long. */
export function mockUsersService(http: OutboundHttp, { url = 'http://users.test', delayMs = 0 } = {}): UsersServiceMock {
  const users: UsersServiceMock = { url, balances: new Map(), answer: 'balances', received: [] };
  const declared = http
    .origin(url)
    .intercept({ path: /^\/users\/[^/]+\/balance$/, method: 'POST' })
    .reply<object>((request) => {
      const userId = decodeURIComponent(/^\/users\/([^/]+)\/balance$/.exec(request.path)![1]!);
      const { change } = JSON.parse(String(request.body)) as { change: number };
      users.received.push({ userId, change });
      const json = { headers: { 'content-type': 'application/json' } };
      // A status set by the test stands for a broken users service: outside the contract on purpose.
      if (users.answer !== 'balances')
        return { statusCode: users.answer, data: error('unavailable', `answering ${users.answer} for the test`), responseOptions: json };
      const [statusCode, data] = byBalances(users.balances, userId, change);
      const problem = responseProblem(document, 'POST', request.path, statusCode, data);
      if (problem) http.report(`the users stand-in answered what the users API does not document: ${problem}`);
      return { statusCode, data, responseOptions: json };
    });
  if (delayMs > 0) declared.delay(delayMs);
  declared.persist();
  return users;
}
