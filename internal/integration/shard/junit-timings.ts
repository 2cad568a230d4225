/**
 * How long each test file took, read from earlier JUnit XML reports (the
 * ones mocha-junit-reporter writes, which Jenkins keeps per build).
 *
 * A file's time is the larger of two sums over its <testsuite> elements:
 * their `time` (wall time, hooks included, in a serial run) and their
 * <testcase> times (exact in a parallel run, where the reporter replays
 * suites after the fact and their `time` is near zero).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Seconds per test file, keyed by the file's path as the report wrote it. */
export type RecordedTimes = Map<string, number>;

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };

function attributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of tag.matchAll(/([\w:-]+)="([^"]*)"/g))
    attrs.set(
      m[1]!,
      m[2]!.replace(/&(amp|lt|gt|quot|apos);/g, (e) => ENTITIES[e]!),
    );
  return attrs;
}

/**
 * Reads one report's XML text into `into`. The same file in several reports
 * (a rerun, two builds' reports) counts once, at its longest.
 */
export function readJUnit(xml: string, into: RecordedTimes = new Map()): RecordedTimes {
  const suites = new Map<string, number>();
  const cases = new Map<string, number>();
  let file: string | undefined;
  for (const m of xml.matchAll(/<(testsuite|testcase)\b([^>]*)>/g)) {
    const attrs = attributes(m[2]!);
    const time = Number(attrs.get('time') ?? 0) || 0;
    if (m[1] === 'testsuite') {
      file = attrs.get('file');
      if (file) suites.set(file, (suites.get(file) ?? 0) + time);
    } else if (file) {
      cases.set(file, (cases.get(file) ?? 0) + time);
    }
  }
  for (const f of new Set([...suites.keys(), ...cases.keys()])) {
    into.set(f, Math.max(into.get(f) ?? 0, suites.get(f) ?? 0, cases.get(f) ?? 0));
  }
  return into;
}

/** The .xml files at `source`: the file itself, or every .xml below a directory (`depth` levels; Infinity for all). */
export function reportFiles(source: string, depth = Infinity): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    return [];
  }
  if (stat.isFile()) return [source];
  const found: string[] = [];
  for (const entry of fs.readdirSync(source, { withFileTypes: true })) {
    const full = path.join(source, entry.name);
    if (entry.isFile() && entry.name.endsWith('.xml')) found.push(full);
    else if (entry.isDirectory() && depth > 1) found.push(...reportFiles(full, depth - 1));
  }
  return found.sort();
}

/**
 * Maps recorded times onto this checkout's files. A report may come from
 * another machine (a container's /app, an agent's workspace), so a recorded
 * path matches the file whose path relative to `root` it ends with.
 */
export function timesFor(files: readonly string[], recorded: RecordedTimes, root: string): Map<string, number> {
  const times = new Map<string, number>();
  const byRelative = new Map(files.map((f) => [path.relative(root, path.resolve(root, f)).split(path.sep).join('/'), f]));
  for (const [where, seconds] of recorded) {
    const normal = where.split('\\').join('/');
    let best: string | undefined; // the longest match: /app/c/b/a.ts is c/b/a.ts, not b/a.ts
    for (const relative of byRelative.keys()) {
      if ((normal === relative || normal.endsWith(`/${relative}`)) && relative.length > (best?.length ?? -1)) best = relative;
    }
    if (best !== undefined) times.set(byRelative.get(best)!, Math.max(times.get(byRelative.get(best)!) ?? 0, seconds));
  }
  return times;
}
