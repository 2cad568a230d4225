import type { MigrationBuilder } from 'node-pg-migrate';

/** Hours trainers publish; one row per trainer and start time. */
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createTable('hours', {
    id: { type: 'bigserial', primaryKey: true },
    trainer_id: { type: 'text', notNull: true },
    starts_at: { type: 'timestamptz', notNull: true },
    status: { type: 'text', notNull: true, default: 'available', check: `status IN ('available', 'training_scheduled')` },
  });
  pgm.addConstraint('hours', 'hours_trainer_starts_at_key', { unique: ['trainer_id', 'starts_at'] });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropTable('hours');
}
