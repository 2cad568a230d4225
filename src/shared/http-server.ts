import Fastify, { type FastifyInstance } from 'fastify';

/**
 * A fastify server as both services want it: schemas reject unknown fields
 * (fastify's default silently strips them, hiding client mistakes).
 */
export function newHttpServer(logger: boolean): FastifyInstance {
  return Fastify({ logger, ajv: { customOptions: { removeAdditional: false } } });
}
