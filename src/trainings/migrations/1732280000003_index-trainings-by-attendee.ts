import type { MigrationBuilder } from 'node-pg-migrate';

/** Attendees list their trainings: index the lookup. */
export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.createIndex('trainings', 'attendee_id', { name: 'trainings_attendee_idx' });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.dropIndex('trainings', 'attendee_id', { name: 'trainings_attendee_idx' });
}
