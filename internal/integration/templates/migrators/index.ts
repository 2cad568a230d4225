/** The migration tools pgspace builds templates with, besides node-pg-migrate: one adapter each. */
export { drizzle, type DrizzleOptions } from './drizzle/index.js';
export { knex, type KnexOptions } from './knex/index.js';
export { kysely, type KyselyOptions } from './kysely/index.js';
export { prisma } from './prisma/index.js';
export { typeorm, type TypeormOptions } from './typeorm/index.js';
