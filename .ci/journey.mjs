#!/usr/bin/env node
// Runs the README's curl journey exactly as written (the ```sh block after `<!-- journey -->`)
// against the services on 127.0.0.1:8080 and :8081 (`npm run dev` or `make run`), and checks each
// command printed what the README shows under it (`# …` lines; `…` stands for any text). Exits 1,
// saying which command printed what, when one did not. The whole journey has a deadline (60 s).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const block = /<!-- journey -->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
if (!block) {
  console.error('journey: no ```sh block after <!-- journey --> in README.md');
  process.exit(1);
}

/** The block's commands, each with the lines the README says it prints. */
const steps = [];
for (const line of block.split('\n')) {
  if (line.startsWith('# ')) steps.at(-1)?.expected.push(line.slice(2));
  else if (line.trim()) steps.push({ command: line, expected: [] });
}

// One shell runs them all (later commands use earlier variables); a marker after each splits the output.
const marker = (i) => `@@journey-step-${i}@@`;
const script = steps.map((s, i) => `${s.command}\nprintf '\\n%s\\n' '${marker(i)}'`).join('\n');
const run = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], {
  encoding: 'utf8',
  timeout: 60_000,
});
const output = run.stdout ?? '';

const pattern = (text) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('…', '.*')}$`);
let failed = 0;
let rest = output;
steps.forEach((step, i) => {
  const at = rest.indexOf(marker(i));
  const printed = at < 0 ? undefined : rest.slice(0, at).split('\n').filter(Boolean);
  rest = at < 0 ? rest : rest.slice(at + marker(i).length);
  const ok = printed && printed.length === step.expected.length && printed.every((line, j) => pattern(step.expected[j]).test(line));
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${step.command}`);
  if (!ok) {
    failed++;
    console.log(
      `     expected: ${JSON.stringify(step.expected)}\n     printed:  ${printed ? JSON.stringify(printed) : '(the journey stopped before this command)'}`,
    );
  }
});
if (run.status !== 0) console.log(`journey: the shell exited ${run.status ?? run.signal}${run.stderr ? `:\n${run.stderr}` : ''}`);
if (failed > 0 || run.status !== 0) process.exit(1);
console.log(`journey: all ${steps.length} commands printed what the README shows`);
