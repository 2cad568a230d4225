/** The users HTTP API: read a balance, change it. */
import type { FastifyInstance } from 'fastify';
import { errorEnvelope, type CodedError } from '../../shared/http-errors.js';
import type { UsersRepository } from '../adapters/postgres-users.js';
import { text } from '../../shared/http-schemas.js';
import { BalanceLimitError, InsufficientBalanceError } from '../domain/balance.js';

const isCoded = (err: unknown): err is CodedError => err instanceof InsufficientBalanceError || err instanceof BalanceLimitError;
const userParams = { type: 'object', properties: { id: text(200, 1) } } as const;

/** Registers the routes over `users`. */
export function usersHttp(server: FastifyInstance, users: UsersRepository): void {
  errorEnvelope(server, { 'insufficient-balance': 409, 'balance-limit': 422 }, isCoded);

  server.get<{ Params: { id: string } }>('/users/:id', { schema: { params: userParams } }, async (request) => ({
    id: request.params.id,
    balance: await users.balance(request.params.id),
  }));

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
      },
    },
    async (request) => ({
      id: request.params.id,
      balance: await users.changeBalance(request.params.id, request.body.change),
    }),
  );
}
