import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';

/** fastify's logger option: `true` logs to stdout, or `{ level, stream }` to log elsewhere (tests log into their trace). */
export type LoggerOption = FastifyServerOptions['logger'];
import { errorBody } from './http-errors.js';
import { isInstant } from './instant.js';

/** No request either API accepts comes near this (500 hours, or 1000 characters of notes). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * A fastify server as both services want it, strict about input: schemas
 * reject unknown fields (fastify's default silently strips them) and wrong
 * types (its default coerces `"1"`, `true` and `null` into numbers).
 */
export function newHttpServer(logger: LoggerOption): FastifyInstance {
  return Fastify({
    logger,
    bodyLimit: BODY_LIMIT_BYTES,
    // A URL the router cannot decode (e.g. a broken %-escape): a 400 in the standard shape, like any other.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) =>
      reply.code(400).send(errorBody('bad-request', error.message)),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, formats: { instant: isInstant } } },
  });
}
