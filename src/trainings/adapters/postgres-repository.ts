/** The trainings repository on Postgres (tables: hours, trainings; see ../migrations). */
import type pg from 'pg';
import { inTransaction, type Database } from '../../shared/postgres.js';
import type { Hour } from '../domain/hour.js';
import type { Training } from '../domain/training.js';
import type { TrainingsRepository, TrainingsUnitOfWork } from '../app/ports.js';

interface HourRow {
  id: string;
  trainer_id: string;
  starts_at: Date;
  status: Hour['status'];
}

interface TrainingRow {
  id: string;
  hour_id: string;
  trainer_id: string;
  attendee_id: string;
  starts_at: Date;
  notes: string;
  cancelled_at: Date | null;
}

const TRAINING_COLUMNS = `t.id, t.hour_id, h.trainer_id, t.attendee_id, h.starts_at, t.notes, t.cancelled_at`;

function toHour(r: HourRow): Hour {
  return { id: Number(r.id), trainerId: r.trainer_id, startsAt: r.starts_at, status: r.status };
}

function toTraining(r: TrainingRow): Training {
  return {
    id: r.id,
    hourId: Number(r.hour_id),
    trainerId: r.trainer_id,
    attendeeId: r.attendee_id,
    startsAt: r.starts_at,
    notes: r.notes,
    cancelledAt: r.cancelled_at,
  };
}

function unitOfWork(db: pg.ClientBase): TrainingsUnitOfWork {
  return {
    async lockHour(trainerId, startsAt) {
      const { rows } = await db.query<HourRow>(
        'SELECT id, trainer_id, starts_at, status FROM hours WHERE trainer_id = $1 AND starts_at = $2 FOR UPDATE',
        [trainerId, startsAt],
      );
      return rows[0] && toHour(rows[0]);
    },
    async setHourStatus(hourId, status) {
      await db.query('UPDATE hours SET status = $2 WHERE id = $1', [hourId, status]);
    },
    async insertTraining(t) {
      const { rows } = await db.query<{ id: string }>(
        'INSERT INTO trainings (hour_id, attendee_id, notes) VALUES ($1, $2, $3) RETURNING id',
        [t.hourId, t.attendeeId, t.notes],
      );
      return { ...t, id: rows[0]!.id, cancelledAt: null };
    },
    async lockTraining(id) {
      const { rows } = await db.query<TrainingRow>(
        `SELECT ${TRAINING_COLUMNS} FROM trainings t JOIN hours h ON h.id = t.hour_id WHERE t.id = $1 FOR UPDATE OF t, h`,
        [id],
      );
      return rows[0] && toTraining(rows[0]);
    },
    async markCancelled(id, at) {
      await db.query('UPDATE trainings SET cancelled_at = $2 WHERE id = $1', [id, at]);
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A TrainingsRepository over a pool connected as the service's role. */
export function postgresTrainingsRepository(pool: Database): TrainingsRepository {
  return {
    transaction(work) {
      return inTransaction(pool, (client) => {
        const uow = unitOfWork(client);
        // A malformed id cannot name a training: answer "not found" instead of a uuid cast error.
        return work({ ...uow, lockTraining: (id) => (UUID.test(id) ? uow.lockTraining(id) : Promise.resolve(undefined)) });
      });
    },
    async addHours(trainerId, hours) {
      await pool.query(
        `INSERT INTO hours (trainer_id, starts_at)
         SELECT $1, unnest($2::timestamptz[])
         ON CONFLICT (trainer_id, starts_at) DO NOTHING`,
        [trainerId, hours],
      );
    },
    async availableHours(trainerId, from, to) {
      const { rows } = await pool.query<{ starts_at: Date }>(
        `SELECT starts_at FROM hours WHERE trainer_id = $1 AND status = 'available' AND starts_at >= $2 AND starts_at < $3 ORDER BY starts_at`,
        [trainerId, from, to],
      );
      return rows.map((r) => r.starts_at);
    },
    async trainingsOf(attendeeId) {
      const { rows } = await pool.query<TrainingRow>(
        `SELECT ${TRAINING_COLUMNS} FROM trainings t JOIN hours h ON h.id = t.hour_id WHERE t.attendee_id = $1 ORDER BY h.starts_at, t.id`,
        [attendeeId],
      );
      return rows.map(toTraining);
    },
  };
}
