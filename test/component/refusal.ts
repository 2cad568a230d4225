/** What every refused request must look like, and proof that it wrote nothing. */
import { expect } from 'chai';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';

/** Every row of `tables`, in a stable order. Equal before and after a request means it wrote nothing. */
export async function tableRows(pool: pg.Pool, tables: string[]): Promise<Record<string, unknown[]>> {
  const rows: Record<string, unknown[]> = {};
  for (const table of tables) rows[table] = (await pool.query(`SELECT * FROM ${pg.escapeIdentifier(table)} ORDER BY 1`)).rows;
  return rows;
}

/** The status, and the standard error shape `{ error: { code, message } }` with nothing else in it. */
export function expectRefusal(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).to.equal(status);
  expect(res.headers['content-type']).to.match(/^application\/json/);
  const body = res.json();
  expect(body).to.have.all.keys('error');
  expect(body.error).to.have.all.keys('code', 'message');
  expect(body.error.code, res.body).to.equal(code);
  expect(body.error.message).to.be.a('string').and.not.be.empty;
}

/** A case of a table-driven bad-input test. */
export interface HostileCase<Ctx> {
  name: string;
  request: (ctx: Ctx) => Promise<LightMyRequestResponse>;
  status: number;
  code: string;
}
