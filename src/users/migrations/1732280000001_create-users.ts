import type { MigrationBuilder } from 'node-pg-migrate';

/** Users and their training balances; a balance never goes below zero. */
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('users', {
    id: { type: 'text', primaryKey: true },
    balance: { type: 'integer', notNull: true, default: 0, check: 'balance >= 0' },
    updated_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
  });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('users');
}
