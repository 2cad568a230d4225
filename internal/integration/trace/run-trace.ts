/**
 * The trace of a whole run, from the run's main process: where its test
 * processes write their parts, and the page made from them at the end.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, mkdirSync, writeFileSync } from 'node:fs';
import { messageOf } from '../common/errors.js';
import { orphanedParts, traceDir, tracePage } from './dir.js';
import path from 'node:path';
import { renderPage } from './page.js';
import { TRACE_PARTS_VAR, type TestTrace } from './recorder.js';

/** Parts left by runs killed before their end are removed after this long. */
const STALE_PARTS_MS = 24 * 3600_000;

/** Why this run can write no page (its directory cannot be written), said at its end. */
let unwritable: string | undefined;

/** Starts collecting this run's traces (unless PGSPACE_TRACE=0): test processes started from now on write parts. */
export function beginTraceRun(): void {
  delete process.env[TRACE_PARTS_VAR];
  if (process.env.PGSPACE_TRACE === '0') return;
  const dir = traceDir();
  removeStaleParts(dir);
  const parts = path.join(dir, `.parts-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(parts, { recursive: true });
  } catch (err) {
    unwritable = messageOf(err);
    return;
  }
  process.env[TRACE_PARTS_VAR] = parts;
}

function removeStaleParts(dir: string): void {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('.parts-'));
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    try {
      if (Date.now() - statSync(full).mtimeMs > STALE_PARTS_MS) rmSync(full, { recursive: true, force: true });
    } catch {
      /* another run's, being removed */
    }
  }
}

function readParts(dir: string): TestTrace[] {
  const tests: TestTrace[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return tests;
  }
  for (const file of files) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        tests.push(JSON.parse(line) as TestTrace);
      } catch {
        /* a line cut short by a killed worker */
      }
    }
  }
  return tests;
}

/**
 * Writes the run's page from its parts and returns the line that tells where
 * it is (undefined when tracing is off or nothing was traced).
 */
export function endTraceRun(runner: string): string | undefined {
  const parts = process.env[TRACE_PARTS_VAR];
  if (unwritable) return noPage(runner, unwritable);
  if (!parts) return undefined;
  delete process.env[TRACE_PARTS_VAR];
  try {
    const tests = readParts(parts);
    rmSync(parts, { recursive: true, force: true });
    if (tests.length === 0) return undefined;
    const page = tracePage(runner);
    mkdirSync(path.dirname(page), { recursive: true });
    writeFileSync(page, renderPage(tests, { runner, finishedAt: new Date().toISOString() }));
    const failed = tests.filter((t) => t.state === 'failed').length;
    const where = path.relative(process.cwd(), page) || page;
    return `pgspace: what each test did (SQL, HTTP, logs)${failed > 0 ? `, ${failed} failing first` : ''}: ${where.startsWith('..') ? page : where}`;
  } catch (err) {
    return noPage(runner, messageOf(err));
  }
}

/** The line for a run that wrote no page, saying whether the page there is an earlier run's. */
function noPage(runner: string, why: string): string {
  const page = tracePage(runner);
  return `pgspace: no trace page for this run: ${why}${existsSync(page) ? `; ${page} is an earlier run's` : ''}`;
}
