/**
 * Runs a SQL script as `psql -f` would, for what schemas really come as:
 * pg_dump's plain format included. That means `COPY … FROM stdin` blocks
 * (sent through the COPY protocol, which a plain query cannot do), pg_dump's
 * `\restrict` lines (skipped), and `ALTER … OWNER TO <role>` lines, which are
 * given to the template owner: the role a dump names is someone else's, and
 * only the owner role can make the objects usable by every space.
 * Errors say the file, line and column, and show the line.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { PgspaceError, messageOf } from '../common/errors.js';

/** Statements to run as one query, or one COPY … FROM stdin with its rows; `line` is where it starts in the file (1-based). */
export type ScriptPiece = { kind: 'sql'; text: string; line: number } | { kind: 'copy'; statement: string; rows: string; line: number };

const COPY_FROM_STDIN = /^COPY\s.+\sFROM\s+stdin;\s*$/i;
/** pg_dump (since 17.6, 16.10, 15.14…) brackets its output with these psql-only lines; they guard psql sessions only. */
const PG_DUMP_GUARD = /^\\(un)?restrict\b/;
/** Other psql commands a script might carry; no server understands them. */
const PSQL_COMMAND = /^\\(connect|c|i|ir|include|include_relative|set|unset|if|elif|else|endif|gset|echo|copy)(\s|$)/;
/** `ALTER <kind> <name> OWNER TO <role>;` as pg_dump writes it, one per line. */
const OWNER_TO = /^(ALTER\s.+\sOWNER\s+TO\s+)(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(\s*;\s*)$/i;

/**
 * Splits a script into pieces, line numbers kept, with `OWNER TO` lines given
 * to `owner` (already quoted). Throws on psql commands other than pg_dump's guard.
 */
export function splitScript(script: string, owner: string, file: string): ScriptPiece[] {
  const lines = script.split('\n');
  const pieces: ScriptPiece[] = [];
  let sql: string[] = [];
  let sqlStart = 1;
  const flush = () => {
    if (sql.some((l) => l.trim() !== '')) pieces.push({ kind: 'sql', text: sql.join('\n'), line: sqlStart });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (PG_DUMP_GUARD.test(line)) {
      sql.push(''); // keeps line numbers
    } else if (PSQL_COMMAND.test(line)) {
      throw new PgspaceError(
        'schema',
        `${file}:${i + 1}: \`${line.split(/\s/)[0]}\` is a psql command, not SQL; remove it (a schema file runs in the database it is given)`,
      );
    } else if (COPY_FROM_STDIN.test(line)) {
      flush();
      const end = lines.indexOf('\\.', i + 1);
      if (end < 0) throw new PgspaceError('schema', `${file}:${i + 1}: COPY … FROM stdin has no closing \`\\.\` line`);
      pieces.push({
        kind: 'copy',
        statement: line.trim().replace(/;$/, ''),
        rows: lines
          .slice(i + 1, end)
          .map((r) => `${r}\n`)
          .join(''),
        line: i + 1,
      });
      i = end;
      sql = [];
      sqlStart = end + 2;
    } else {
      sql.push(line.replace(OWNER_TO, `$1${owner}$2`));
    }
  }
  flush();
  return pieces;
}

/** "line L, column C" of a 1-based character `position` in `text` (which starts at file line `firstLine`), and that line. */
export function locate(text: string, position: number, firstLine = 1): { line: number; column: number; source: string } {
  const before = text.slice(0, Math.max(0, position - 1));
  const newlines = before.split('\n').length - 1;
  const lineStart = before.lastIndexOf('\n') + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  return { line: firstLine + newlines, column: position - lineStart, source: text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd) };
}

/** Where in `text` (starting at file line `firstLine`) an error with a `position` points, or undefined. */
export function errorPlace(err: unknown, text: string, firstLine = 1): { line: number; column: number; source: string } | undefined {
  const position = Number((err as { position?: string }).position);
  return Number.isInteger(position) && position >= 1 ? locate(text, position, firstLine) : undefined;
}

/** The offending line with a caret under the column, indented for an error message. */
export function showPlace(at: { column: number; source: string }): string {
  return `\n    ${at.source}\n    ${' '.repeat(Math.max(0, at.column - 1))}^`;
}

/** Runs `script` (from `file`) through `client`, stopping at the first error with its place in the file. */
export async function runScript(client: pg.ClientBase, script: string, owner: string, file: string): Promise<void> {
  for (const piece of splitScript(script, owner, file)) {
    try {
      if (piece.kind === 'sql') {
        await client.query(piece.text);
      } else {
        await pipeline(Readable.from([piece.rows]), client.query(copyFrom(piece.statement)));
      }
    } catch (err) {
      throw new PgspaceError('schema', failure(err, piece, file), { cause: err });
    }
  }
}

function failure(err: unknown, piece: ScriptPiece, file: string): string {
  if (piece.kind === 'sql') {
    const at = errorPlace(err, piece.text, piece.line);
    return at
      ? `${file}:${at.line}:${at.column}: ${messageOf(err)}${showPlace(at)}`
      : `${file}:${piece.line}: ${messageOf(err)} (in the statements from this line on)`;
  }
  // A bad row: the server counts rows ("COPY members, line 5").
  const row = /COPY \S+, line (\d+)/.exec(String((err as { where?: string }).where ?? ''));
  return row
    ? `${file}:${piece.line + Number(row[1])}: ${messageOf(err)} (row ${row[1]} of the COPY on line ${piece.line})`
    : `${file}:${piece.line}: ${messageOf(err)}`;
}
