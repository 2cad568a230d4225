import type { MigrationBuilder } from 'node-pg-migrate';

/** Trainings booked at an hour; at most one active (not cancelled) training per hour. */
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('trainings', {
    id: { type: 'uuid', primaryKey: true, default: pgm.func('gen_random_uuid()') },
    hour_id: { type: 'bigint', notNull: true, references: 'hours', onDelete: 'RESTRICT' },
    attendee_id: { type: 'text', notNull: true },
    notes: { type: 'text', notNull: true, default: '' },
    scheduled_at: { type: 'timestamptz', notNull: true, default: pgm.func('now()') },
    cancelled_at: { type: 'timestamptz' },
  });
  // The database's own guard against double booking, behind the row lock the app takes.
  pgm.createIndex('trainings', 'hour_id', { name: 'trainings_one_active_per_hour', unique: true, where: 'cancelled_at IS NULL' });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('trainings');
}
