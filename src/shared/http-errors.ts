import type { FastifyError, FastifyInstance } from 'fastify';

/** The JSON body of every error response. */
export interface ErrorEnvelope {
  error: { code: string; message: string };
}

/** An error with a code that maps to an HTTP status. */
export interface CodedError {
  code: string;
  message: string;
}

/**
 * Makes every error a JSON envelope `{ error: { code, message } }`:
 * schema violations are 400 `invalid-request`, errors whose code is in
 * `statusByCode` get that status, anything else is a logged 500 that shows
 * no internals.
 */
export function errorEnvelope(app: FastifyInstance, statusByCode: Record<string, number>, isCoded: (err: unknown) => err is CodedError): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isCoded(err) && statusByCode[err.code]) {
      return reply.status(statusByCode[err.code]!).send({ error: { code: err.code, message: err.message } });
    }
    if (err.validation) {
      return reply.status(400).send({ error: { code: 'invalid-request', message: err.message } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: 'bad-request', message: err.message } });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'internal', message: 'internal error' } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ error: { code: 'not-found', message: `no route for ${request.method} ${request.url}` } }),
  );
}
