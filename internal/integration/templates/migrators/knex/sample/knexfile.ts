// The app's knexfile: its connection is the app's; pgspace reads only `migrations`.
export default {
  development: {
    client: 'pg',
    connection: process.env.DATABASE_URL,
    migrations: { directory: './migrations', tableName: 'knex_migrations' },
  },
};
