/**
 * Where a run's trace goes: the pages, and the parts test processes write
 * while it runs. Apart from the plug-in, so the CLI and a shard can name
 * the pages without loading the trace.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pidAlive } from '../embedded/record.js';

/** Where the pages go (default reports/trace, under the directory the runner runs in). */
export const TRACE_DIR_VAR = 'PGSPACE_TRACE_DIR';
/** The directory the trace pages are written to. */
export function traceDir(): string {
  return path.resolve(process.env[TRACE_DIR_VAR] || path.join('reports', 'trace'));
}

/** The runners that write a trace page. */
export const TRACED_RUNNERS = ['mocha', 'vitest', 'node-test'] as const;

/** The page a runner's run writes: mocha's is index.html, the others are named after their runner. */
export function tracePage(runner: string): string {
  return path.join(traceDir(), runner === 'mocha' ? 'index.html' : `${runner.replace(/[^a-z0-9-]/gi, '-')}.html`);
}

/**
 * The parts directories in the trace directory that no running run writes
 * to (runs interrupted before they made their page): their owner, named in
 * the directory's name, is gone.
 */
export function orphanedParts(): string[] {
  const dir = traceDir();
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith('.parts-'));
  } catch {
    return [];
  }
  return names.filter((n) => !pidAlive(Number(/^\.parts-(\d+)-/.exec(n)?.[1] ?? 0))).map((n) => path.join(dir, n));
}
