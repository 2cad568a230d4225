/** The users HTTP API: read a balance, change it. */
import type { FastifyInstance } from 'fastify';
import { errorEnvelope, type CodedError } from '../../shared/http-errors.js';
import type { UsersRepository } from '../adapters/postgres-users.js';
import { errorResponse, text } from '../../shared/http-schemas.js';
import { BalanceLimitError, InsufficientBalanceError, UserNotFoundError } from '../domain/balance.js';

const isCoded = (err: unknown): err is CodedError =>
  err instanceof InsufficientBalanceError || err instanceof BalanceLimitError || err instanceof UserNotFoundError;
const userParams = { type: 'object', properties: { id: text(200, 1) } } as const;
/** What both routes answer: the user's balance after the request. */
const balanceResponse = {
  type: 'object',
  required: ['id', 'balance'],
  additionalProperties: false,
  properties: { id: { type: 'string' }, balance: { type: 'integer', minimum: 0 } },
} as const;

/** Registers the routes over `users`. */
export function usersHttp(server: FastifyInstance, users: UsersRepository): void {
  errorEnvelope(server, { 'user-not-found': 404, 'insufficient-balance': 409, 'balance-limit': 422 }, isCoded);

  server.get<{ Params: { id: string } }>(
    '/users/:id',
    { schema: { params: userParams, response: { 200: balanceResponse, 400: errorResponse } } },
    async (request) => ({
      id: request.params.id,
      balance: await users.balance(request.params.id),
    }),
  );

  server.post<{ Params: { id: string }; Body: { change: number } }>(
    '/users/:id/balance',
    {
      schema: {
        params: userParams,
        body: {
          type: 'object',
          required: ['change'],
          additionalProperties: false,
          properties: { change: { type: 'integer', minimum: -1000, maximum: 1000 } },
        },
        response: { 200: balanceResponse, 400: errorResponse, 404: errorResponse, 409: errorResponse, 422: errorResponse },
      },
    },
    async (request) => ({
      id: request.params.id,
      balance: await users.changeBalance(request.params.id, request.body.change),
    }),
  );
}
