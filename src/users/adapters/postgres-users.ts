/** Users' balances on Postgres (table: users; see ../migrations). */
import type pg from 'pg';
import { inTransaction, type Database } from '../../shared/postgres.js';
import { applyBalanceChange, UserNotFoundError } from '../domain/balance.js';

/** Storage of users' training balances. */
export interface UsersRepository {
  /** The user's balance; users who never had one have 0. */
  balance(userId: string): Promise<number>;
  /** Applies `change` under a row lock and returns the new balance; a top-up makes an unknown user, anything else is UserNotFoundError. */
  changeBalance(userId: string, change: number): Promise<number>;
}

/** A UsersRepository over a pool connected as the service's role. */
export function postgresUsersRepository(pool: Database): UsersRepository {
  return {
    async balance(userId) {
      const { rows } = await pool.query<{ balance: number }>('SELECT balance FROM users WHERE id = $1', [userId]);
      return rows[0]?.balance ?? 0;
    },
    changeBalance(userId, change) {
      return inTransaction(pool, async (db) => {
        if (change > 0) await db.query('INSERT INTO users (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [userId]);
        const { rows } = await db.query<{ balance: number }>('SELECT balance FROM users WHERE id = $1 FOR UPDATE', [userId]);
        if (rows.length === 0) throw new UserNotFoundError(userId);
        const next = applyBalanceChange(userId, rows[0]!.balance, change);
        await db.query('UPDATE users SET balance = $2, updated_at = now() WHERE id = $1', [userId, next]);
        return next;
      });
    },
  };
}
