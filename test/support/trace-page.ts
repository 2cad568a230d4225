/** Reading a trace page the way its script does, for tests of what the page shows. */
import { readFileSync } from 'node:fs';
import type { TestTrace } from '../../internal/integration/trace/recorder.js';

/** The data a page carries, as its script reads it. */
export function pageData(file: string): { facts: Record<string, unknown>; tests: TestTrace[] } {
  const html = readFileSync(file, 'utf8');
  return JSON.parse(/<script id="trace-data" type="application\/json">(.*?)<\/script>/s.exec(html)![1]!);
}
