import type { FastifyError, FastifyInstance } from 'fastify';

/** The JSON body of every error response. */
export interface ErrorEnvelope {
  error: { code: string; message: string };
}

/** The standard error body. */
export function errorBody(code: string, message: string): ErrorEnvelope {
  return { error: { code, message } };
}

/** An error with a code that maps to an HTTP status. */
export interface CodedError {
  code: string;
  message: string;
}

const CODE_BY_STATUS: Record<number, string> = { 413: 'payload-too-large', 415: 'unsupported-media-type' };

/**
 * Makes every error a JSON envelope `{ error: { code, message } }`:
 * schema violations are 400 `invalid-request`, errors whose code is in
 * `statusByCode` get that status, anything else is a logged 500 that shows
 * no internals.
 */
export function errorEnvelope(
  app: FastifyInstance,
  statusByCode: Record<string, number>,
  isCoded: (err: unknown) => err is CodedError,
): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (isCoded(err) && statusByCode[err.code]) {
      return reply.status(statusByCode[err.code]!).send(errorBody(err.code, err.message));
    }
    if (err.validation) {
      return reply.status(400).send(errorBody('invalid-request', err.message));
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // fastify's own refusals: malformed JSON, a body too large, a content type it cannot parse.
      const code = CODE_BY_STATUS[err.statusCode] ?? 'bad-request';
      return reply.status(err.statusCode).send(errorBody(code, err.message));
    }
    request.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('internal', 'internal error'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('not-found', `no route for ${request.method} ${request.url}`)),
  );
}
