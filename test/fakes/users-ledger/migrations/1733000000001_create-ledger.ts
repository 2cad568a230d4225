import type { MigrationBuilder } from 'node-pg-migrate';

/** Every balance change the fake users service accepted, in order: what a test reads back. */
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('ledger', {
    id: { type: 'bigserial', primaryKey: true },
    user_id: { type: 'text', notNull: true },
    change: { type: 'integer', notNull: true },
  });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('ledger');
}
