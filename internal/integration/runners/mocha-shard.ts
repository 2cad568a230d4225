/**
 * SHARD=i/n for mocha, which has no --shard of its own: the files mocha
 * collected are cut down to this shard's (see shard/plan.ts) before it loads
 * them (a serial run) or hands them to workers (a parallel run). Parallel
 * workers get one file each from the main process and are left alone. The
 * plan is printed, and written beside the trace page.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { messageOf } from '../common/errors.js';
import { planShard, shardFromEnv } from '../shard/plan.js';
import { traceDir } from '../trace/dir.js';

const PATCHED = Symbol.for('pgspace.mochaShard');

/**
 * Wraps Mocha#loadFilesAsync, #loadFiles and #run so a run keeps only its
 * shard's files, when SHARD is set. Idempotent. Exits at once, with one
 * line, when SHARD is not of the form i/n.
 */
export function shardMocha(MochaClass: typeof Mocha): void {
  if (process.env.MOCHA_WORKER_ID !== undefined) return;
  let spec: ReturnType<typeof shardFromEnv>;
  try {
    spec = shardFromEnv();
  } catch (err) {
    process.stderr.write(`pgspace: ${messageOf(err)}\n`);
    process.exit(2);
  }
  if (!spec) return;
  const proto = MochaClass.prototype as Mocha & { [PATCHED]?: true };
  if (proto[PATCHED]) return;
  proto[PATCHED] = true;
  const sharded = new WeakSet<Mocha>();
  const keepShard = (mocha: Mocha) => {
    if (sharded.has(mocha)) return;
    sharded.add(mocha);
    const plan = planShard(spec, mocha.files, process.cwd());
    for (const line of plan.lines) process.stderr.write(`pgspace: ${line}\n`);
    // Beside the trace page, for whoever merges the shards to check they agree (the Jenkinsfile does).
    const record = path.join(traceDir(), `shard-${spec.index}-of-${spec.count}-plan.txt`);
    try {
      mkdirSync(path.dirname(record), { recursive: true });
      writeFileSync(record, `${plan.lines.join('\n')}\n`);
    } catch (err) {
      process.stderr.write(`pgspace: could not record the shard's plan in ${record}: ${messageOf(err)}\n`);
    }
    mocha.files = plan.files;
  };
  for (const method of ['loadFilesAsync', 'loadFiles', 'run'] as const) {
    const original = proto[method] as (...args: unknown[]) => unknown;
    (proto as unknown as Record<string, unknown>)[method] = function (this: Mocha, ...args: unknown[]) {
      keepShard(this);
      return original.apply(this, args);
    };
  }
}
