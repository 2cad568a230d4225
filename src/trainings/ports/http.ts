/** The trainings HTTP API: a fastify plugin over the application. JSON in, JSON out, schema-checked. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import { MAX_NOTES_LENGTH, type Training, type User } from '../domain/training.js';
import type { TrainingsApp } from '../app/trainings-app.js';
import { UsersServiceError } from '../adapters/users-http-client.js';
import { errorEnvelope, type CodedError } from '../../shared/http-errors.js';
import { instant, text } from '../../shared/http-schemas.js';

/** HTTP status for each error code the application can raise. */
export const STATUS_BY_CODE: Record<string, number> = {
  'invalid-input': 400,
  'invalid-hour': 422,
  'not-allowed': 403,
  'training-not-found': 404,
  'hour-not-available': 409,
  'already-cancelled': 409,
  'insufficient-balance': 409,
  'users-service-unavailable': 502,
};

const isCoded = (err: unknown): err is CodedError => err instanceof DomainError || err instanceof UsersServiceError;

/** Auth is the gateway's job: it forwards who the caller is in these headers. */
const userHeaders = {
  type: 'object',
  required: ['x-user-id', 'x-user-role'],
  properties: {
    'x-user-id': text(200, 1),
    'x-user-role': { type: 'string', enum: ['attendee', 'trainer'] },
  },
} as const;

function userOf(request: FastifyRequest): User {
  const headers = request.headers as Record<string, string>;
  return { id: headers['x-user-id']!, role: headers['x-user-role'] as User['role'] };
}

function trainingJson(t: Training) {
  return {
    id: t.id,
    trainerId: t.trainerId,
    attendeeId: t.attendeeId,
    startsAt: t.startsAt.toISOString(),
    notes: t.notes,
    cancelled: t.cancelledAt !== null,
  };
}

/** Registers the routes; `app` is the application the routes call. */
export function trainingsHttp(server: FastifyInstance, app: TrainingsApp): void {
  errorEnvelope(server, STATUS_BY_CODE, isCoded);

  server.put<{ Body: { hours: string[] } }>(
    '/trainer/hours',
    {
      schema: {
        headers: userHeaders,
        body: {
          type: 'object',
          required: ['hours'],
          additionalProperties: false,
          properties: { hours: { type: 'array', minItems: 1, maxItems: 500, items: instant } },
        },
      },
    },
    async (request, reply) => {
      await app.makeHoursAvailable(
        userOf(request),
        request.body.hours.map((h) => new Date(h)),
      );
      return reply.status(204).send();
    },
  );

  server.get<{ Params: { trainerId: string }; Querystring: { from: string; to: string } }>(
    '/trainers/:trainerId/hours',
    {
      schema: {
        params: { type: 'object', properties: { trainerId: text(200, 1) } },
        querystring: { type: 'object', required: ['from', 'to'], additionalProperties: false, properties: { from: instant, to: instant } },
      },
    },
    async (request) => {
      const hours = await app.availableHours(request.params.trainerId, new Date(request.query.from), new Date(request.query.to));
      return { hours: hours.map((h) => h.toISOString()) };
    },
  );

  server.post<{ Body: { trainerId: string; startsAt: string; notes?: string } }>(
    '/trainings',
    {
      schema: {
        headers: userHeaders,
        body: {
          type: 'object',
          required: ['trainerId', 'startsAt'],
          additionalProperties: false,
          properties: {
            trainerId: text(200, 1),
            startsAt: instant,
            notes: text(MAX_NOTES_LENGTH),
          },
        },
      },
    },
    async (request, reply) => {
      const { trainerId, startsAt, notes = '' } = request.body;
      const training = await app.scheduleTraining(userOf(request), { trainerId, startsAt: new Date(startsAt), notes });
      return reply.status(201).send({ training: trainingJson(training) });
    },
  );

  server.get('/trainings', { schema: { headers: userHeaders } }, async (request) => {
    const trainings = await app.trainingsOf(userOf(request));
    return { trainings: trainings.map(trainingJson) };
  });

  server.delete<{ Params: { id: string } }>(
    '/trainings/:id',
    { schema: { headers: userHeaders, params: { type: 'object', properties: { id: text(100, 1) } } } },
    async (request) => {
      return app.cancelTraining(userOf(request), request.params.id);
    },
  );
}
