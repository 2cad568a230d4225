import os from 'node:os';
import pg from 'pg';

/**
 * What the helper records on every space's role and database (as a COMMENT):
 * enough for a later run to tell whose it is and whether to reap it, and for
 * `npm run spaces` to show which test it belongs to.
 */
export interface SpaceTag {
  pgspace: 1;
  /** The test run that created it (a session advisory lock held while the run lives). */
  run: number;
  /** Host and pid of the process that created it, for people reading the list. */
  host: string;
  pid: number;
  createdAt: string;
  /** Full title of the test that holds it, once one does. */
  test?: string;
  /** Set when a failing test's space is kept for debugging: never reaped automatically. */
  kept?: boolean;
}

/** A fresh tag for a space created by this process in run `run`. */
export function newTag(run: number): SpaceTag {
  return { pgspace: 1, run, host: os.hostname(), pid: process.pid, createdAt: new Date().toISOString() };
}

/** The tag as a SQL string literal, safe for any test title. */
export function tagLiteral(tag: SpaceTag): string {
  return pg.escapeLiteral(JSON.stringify(tag));
}

/** Parses a COMMENT back into a tag; anything else (not ours) is undefined. */
export function parseTag(comment: string | null | undefined): SpaceTag | undefined {
  if (!comment) return undefined;
  try {
    const tag = JSON.parse(comment) as SpaceTag;
    return tag && tag.pgspace === 1 && Number.isInteger(tag.run) ? tag : undefined;
  } catch {
    return undefined;
  }
}
