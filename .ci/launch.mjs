#!/usr/bin/env node
// The launch-configuration check: runs each configuration of .vscode/launch.json as VS Code would
// (its runtime, program, args, cwd and env; `${relativeFile}` the runner's example test file,
// `${selectedText}` one test's title), with a debugger's inspector open (NODE_OPTIONS=--inspect=0,
// as VS Code's bootloader opens one). Each must exit 0 having run the file's tests green (a
// "selected test" configuration exactly that one test) and, because a debugger is attached, print
// the psql line of the space each test got. Each run has a deadline. Exits 1 saying which failed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stopGroup } from './process-group.mjs';

const root = path.resolve(new URL('..', import.meta.url).pathname);
const DEADLINE_MS = 180_000;
const { configurations } = JSON.parse(readFileSync(path.join(root, '.vscode/launch.json'), 'utf8'));

/** What each runner's configurations are tried on, and how its report says how many passed and failed. */
const runners = {
  mocha: {
    file: 'test/integration/trainings-repository.test.ts',
    title: 'enforces one row per trainer and hour (unique constraint)',
    passed: (out) => Number(/^\s*(\d+) passing/m.exec(out)?.[1] ?? 0),
    failed: (out) => Number(/^\s*(\d+) failing/m.exec(out)?.[1] ?? 0),
  },
  vitest: {
    file: 'test/runners/vitest/trainings-repository.test.ts',
    title: 'starts every test from an empty schema',
    passed: (out) => Number(/Tests\s+(\d+) passed/.exec(out)?.[1] ?? 0),
    failed: (out) => Number(/Tests\s+(?:.*?)(\d+) failed/.exec(out)?.[1] ?? 0),
  },
};

const testsIn = (file) => (readFileSync(path.join(root, file), 'utf8').match(/^\s*it\(/gm) ?? []).length;

function run(config) {
  const runner = /vitest/i.test(config.program ?? '') ? runners.vitest : runners.mocha;
  const vars = {
    workspaceFolder: root,
    workspaceRoot: root,
    relativeFile: runner.file,
    file: path.join(root, runner.file),
    selectedText: runner.title,
  };
  const expand = (s) =>
    s.replace(/\$\{(\w+)\}/g, (_, name) => {
      if (!(name in vars)) throw new Error(`${config.name}: unknown variable \${${name}}`);
      return vars[name];
    });
  const argv = [...(config.runtimeArgs ?? []), ...(config.program ? [config.program] : []), ...(config.args ?? [])].map(expand);
  const selected = (config.args ?? []).some((a) => a.includes('${selectedText}'));
  const expected = selected ? 1 : testsIn(runner.file);
  return new Promise((resolve) => {
    const child = spawn(config.runtimeExecutable ?? process.execPath, argv, {
      cwd: expand(config.cwd ?? root),
      env: { ...process.env, ...config.env, NO_COLOR: '1', NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim() },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // Past the deadline: stopped as Ctrl-C stops it (its run stops its Postgres), then killed.
    const timer = setTimeout(() => void stopGroup(child), DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const passed = runner.passed(out);
      const failed = runner.failed(out);
      const psqlLines = (out.match(/has space \S+ \(for the debugger\):\n\s+psql 'postgresql:\/\//g) ?? []).length;
      const problems = [];
      if (code !== 0) problems.push(`exited ${code ?? signal}${signal ? ` (stopped after ${DEADLINE_MS / 1000} s)` : ''}`);
      if (passed !== expected || failed !== 0) problems.push(`${passed} passed and ${failed} failed; expected ${expected} passing`);
      if (psqlLines < expected) problems.push(`${psqlLines} psql line(s) for the spaces of ${expected} test(s) under the debugger`);
      const line = `${config.name}: ${['node', ...argv].join(' ')}`;
      if (problems.length === 0) console.log(`launch check: ok: ${line}\n  ${passed} passing, a psql line for each test's space`);
      else console.error(`launch check: FAILED: ${line}\n  ${problems.join('; ')}\n--- output ---\n${out}`);
      resolve(problems.length === 0);
    });
  });
}

if (configurations.length === 0) {
  console.error('launch check: .vscode/launch.json has no configuration');
  process.exit(1);
}
let ok = true;
for (const config of configurations) ok = (await run(config)) && ok; // one at a time: each starts its own run
process.exit(ok ? 0 : 1);
