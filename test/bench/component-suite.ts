/**
 * The comparison teams make: a component-test suite on one shared database,
 * migrated once, with one instance of the service per test file, against a
 * space per test — with the service built per test (pgspace's default
 * pattern) or once per file and pointed at each test's space (`database:
 * () => space.pool`, the README's "service per file"). Each test is a booking
 * journey through `inject()`; the users service is a real local HTTP server.
 * Prints the wall time of each suite (median of interleaved rounds), its
 * ratio to the shared one, and where a test's time goes: acquiring the space,
 * building the service, the journey, closing, and what the server and Node
 * spent on it (CPU per test, background work included).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { migrators } from '../../pgspace.config.js';
import type { Run } from '../../internal/integration/run/run.js';
import { Session } from '../../internal/integration/session/session.js';
import type { Space } from '../../internal/integration/session/space.js';
import { loadTrainingsConfig } from '../../src/trainings/config.js';
import { buildTrainingsService } from '../../src/trainings/service.js';

const FILES = Number(process.env.BENCH_FILES ?? 10);
const TESTS_PER_FILE = Number(process.env.BENCH_TESTS_PER_FILE ?? 15);
const NOW = new Date('2030-01-07T10:00:00Z');
const HOURS = ['2030-01-09T12:00:00.000Z', '2030-01-09T13:00:00.000Z'];

/** The users service: a real HTTP server on 127.0.0.1 that lets every charge and refund through. */
async function usersStandIn(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      const id = decodeURIComponent(/^\/users\/([^/]+)\/balance$/.exec(req.url ?? '')?.[1] ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id, balance: 5 }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** One booking journey: publish two hours, book one, list it, cancel it early (refunded), list the free hours. */
async function journey(api: FastifyInstance, i: number): Promise<void> {
  const stamp = `${i}-${process.hrtime.bigint()}`;
  const trainer = { 'x-user-id': `coach-${stamp}`, 'x-user-role': 'trainer' };
  const ann = { 'x-user-id': `ann-${stamp}`, 'x-user-role': 'attendee' };
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`journey ${i}: ${what} answered ${got}, expected ${want}`);
  };
  expect(
    'publish',
    (await api.inject({ method: 'PUT', url: '/trainer/hours', headers: trainer, payload: { hours: HOURS } })).statusCode,
    204,
  );
  const booked = await api.inject({
    method: 'POST',
    url: '/trainings',
    headers: ann,
    payload: { trainerId: trainer['x-user-id'], startsAt: HOURS[0] },
  });
  expect('book', booked.statusCode, 201);
  const listed = await api.inject({ method: 'GET', url: '/trainings', headers: ann });
  expect('list', listed.statusCode, 200);
  const id = (booked.json() as { training: { id: string } }).training.id;
  const cancelled = await api.inject({ method: 'DELETE', url: `/trainings/${id}`, headers: ann });
  expect('cancel', cancelled.statusCode, 200);
  if (!(cancelled.json() as { refunded: boolean }).refunded) throw new Error(`journey ${i}: an early cancellation was not refunded`);
  const free = await api.inject({
    method: 'GET',
    url: `/trainers/${trainer['x-user-id']}/hours?from=2030-01-08T00:00:00Z&to=2030-01-10T00:00:00Z`,
  });
  expect('free hours', free.statusCode, 200);
  if ((free.json() as { hours: string[] }).hours.length !== 2) throw new Error(`journey ${i}: expected both hours free again`);
}

/** Where a suite's time went, in ms summed over its tests, and CPU in ms. */
interface Split {
  wallMs: number;
  acquire: number;
  build: number;
  body: number;
  close: number;
  serverCpu?: number;
  nodeCpu: number;
}

/** CPU the embedded server has used so far (ms): its postmaster, the backends it reaped and those alive. Undefined off Linux or for a server not ours. */
function serverCpuMs(dataDir: string | undefined): number | undefined {
  if (!dataDir) return undefined;
  try {
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const fields = (pid: number | string) => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    };
    const ticks = (f: string[], ...at: number[]) => at.reduce((n, i) => n + Number(f[i]), 0);
    let total = ticks(fields(postmaster), 11, 12, 13, 14); // utime stime cutime cstime (after pid and comm)
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const f = fields(entry);
        if (Number(f[1]) === postmaster) total += ticks(f, 11, 12);
      } catch {
        /* gone meanwhile */
      }
    }
    return total * 10; // clock ticks of 10 ms (CLK_TCK = 100 on Linux)
  } catch {
    return undefined;
  }
}

/** How a suite gives its tests a database and a service. */
interface Mode {
  label: string;
  run(run: Run, usersUrl: string): Promise<Split>;
}

const service = (env: Record<string, string>, usersUrl: string, database?: () => Space['pool']) =>
  buildTrainingsService(loadTrainingsConfig({ ...env, TRAININGS_USERS_URL: usersUrl }), { clock: { now: () => NOW }, database });

/** Times `work` into `split[key]`. */
async function timed<T>(split: Split, key: 'acquire' | 'build' | 'body' | 'close', work: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    split[key] += performance.now() - start;
  }
}

/** Runs `files` × tests through `perFile`, measuring wall time and CPU around it. */
async function measured(run: Run, perFile: (split: Split, file: number) => Promise<void>, after?: () => Promise<void>): Promise<Split> {
  const dataDir = run.cluster ? path.join(run.cluster.dir, 'data') : undefined;
  const split: Split = { wallMs: 0, acquire: 0, build: 0, body: 0, close: 0, nodeCpu: 0 };
  const cpu0 = serverCpuMs(dataDir);
  const node0 = process.cpuUsage();
  const start = performance.now();
  for (let file = 0; file < FILES; file++) await perFile(split, file);
  await after?.(); // the background work the suite left (drops, recycling) is part of its cost
  split.wallMs = performance.now() - start;
  const cpu1 = serverCpuMs(dataDir);
  if (cpu0 !== undefined && cpu1 !== undefined) split.serverCpu = cpu1 - cpu0;
  const node = process.cpuUsage(node0);
  split.nodeCpu = (node.user + node.system) / 1000;
  return split;
}

const MODES: Mode[] = [
  {
    label: 'one shared database, service per file',
    async run(run, usersUrl) {
      const session = new Session(run.server, run.id, 1, 1);
      const held = await session.acquire(migrators.trainings, 'bench: the shared database');
      try {
        return await measured(run, async (split, file) => {
          // Its own pool, as a service built per file on a shared database has: new connections, warm for the whole file.
          const api = await timed(split, 'build', () => service(held.space.config.trainings!, usersUrl));
          for (let t = 0; t < TESTS_PER_FILE; t++) await timed(split, 'body', () => journey(api, file * TESTS_PER_FILE + t));
          await timed(split, 'close', () => api.close());
        });
      } finally {
        await session.release([held], 'bench: the shared database', false);
        await session.close();
      }
    },
  },
  {
    label: 'a space per test, service per test (the default)',
    async run(run, usersUrl) {
      const session = new Session(run.server, run.id);
      await session.warm(migrators.trainings);
      return measured(
        run,
        async (split, file) => {
          for (let t = 0; t < TESTS_PER_FILE; t++) {
            const held = await timed(split, 'acquire', () => session.acquire(migrators.trainings, 'bench'));
            const api = await timed(split, 'build', () => service(held.space.config.trainings!, usersUrl));
            await timed(split, 'body', () => journey(api, file * TESTS_PER_FILE + t));
            await timed(split, 'close', async () => {
              await api.close();
              await session.release([held], 'bench', false);
            });
          }
        },
        () => session.close(),
      );
    },
  },
  {
    label: 'a space per test, service per file (database: () => space.pool)',
    async run(run, usersUrl) {
      const session = new Session(run.server, run.id);
      await session.warm(migrators.trainings);
      return measured(
        run,
        async (split, file) => {
          let space: Space | undefined;
          let api: FastifyInstance | undefined;
          for (let t = 0; t < TESTS_PER_FILE; t++) {
            const held = await timed(split, 'acquire', () => session.acquire(migrators.trainings, 'bench'));
            space = held.space;
            api ??= await timed(split, 'build', () => service(held.space.config.trainings!, usersUrl, () => space!.pool));
            await timed(split, 'body', () => journey(api!, file * TESTS_PER_FILE + t));
            await timed(split, 'close', () => session.release([held], 'bench', false));
          }
          await timed(split, 'close', () => api!.close());
        },
        () => session.close(),
      );
    },
  },
];

/** Runs the three suites in `rounds` interleaved rounds and prints the table. */
export async function componentSuites(run: Run, rounds: number): Promise<void> {
  const users = await usersStandIn();
  const results = new Map<Mode, Split[]>(MODES.map((m) => [m, []]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of MODES) results.get(mode)!.push(await mode.run(run, users.url));
      process.stderr.write(`  component round ${round + 1}/${rounds} done\n`);
    }
  } finally {
    await users.close();
  }
  const tests = FILES * TESTS_PER_FILE;
  const median = (mode: Mode) => [...results.get(mode)!].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(rounds / 2)]!;
  const shared = median(MODES[0]!).wallMs;
  const ms = (x: number) => (x / tests).toFixed(2);
  console.log(
    `\ncomponent suite: ${tests} booking journeys (publish 2 hours, book 1, list, cancel early, list free hours) in ${FILES} files, ` +
      `the users service a local HTTP server; median of ${rounds} interleaved rounds; per test, in ms:`,
  );
  const header = ['suite', 'wall', 'vs shared', 'acquire', 'build service', 'journey', 'close + release', 'server CPU', 'node CPU'];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const mode of MODES) {
    const s = median(mode);
    const cells = [
      mode.label,
      `${(s.wallMs / 1000).toFixed(2)} s`,
      `${(s.wallMs / shared).toFixed(2)}×`,
      ms(s.acquire),
      ms(s.build),
      ms(s.body),
      ms(s.close),
    ];
    cells.push(s.serverCpu === undefined ? 'n/a' : ms(s.serverCpu), ms(s.nodeCpu));
    console.log(`| ${cells.join(' | ')} |`);
  }
}
