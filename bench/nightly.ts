/**
 * Nightly pipeline benchmark:
 *
 *   npm run bench:nightly -- [--users 200000] [--seed 1] [--shards 8] [--processes 1,2] [--no-record]
 *                            [--no-reference] [--reuse-db]
 *
 * `--no-reference` skips score:file and `--reuse-db` keeps a database that already holds the
 * population (both for profiling; such runs are never recorded). BENCH_DATABASE_NAME picks the
 * database, BENCH_WORKER_NODE_ARGS adds node flags to the workers (e.g. `--cpu-prof`).
 *
 * Generates a population (cached under bench/out/), bulk-loads it into a fresh database
 * (untimed, but printed: COPY FREEZE per partition, keys and indexes rebuilt afterwards, see
 * bulk-transactions.ts), times `score:file` on the same data's agg.tsv (the reference: the
 * offline exact top-k with the seed weight set), then runs the whole pipeline end to end through
 * Redis with 1 and with 2 worker processes (`workers/worker.ts`, one scoring thread each): per
 * stage seconds, total seconds, peak RSS (VmHWM) and CPU seconds per process. Appends the
 * figures with the date, the command, the commit and the load averages to bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { z } from 'zod';
import { parseConfig } from '../src/config.ts';
import { createDb, createPool } from '../src/db/database.ts';
import { recreateDatabase } from '../src/db/migrate.ts';
import { loadPopulation } from '../src/modules/pipeline/population-loader.ts';
import { createRunsRepository } from '../src/modules/runs/runs.repository.ts';
import { createRunsService } from '../src/modules/runs/runs.service.ts';
import { createPipelineQueues } from '../src/queue/producers.ts';
import { generate } from '../src/synth/generate.ts';
import { appendResults } from './results-file.ts';

const REPO = join(import.meta.dirname, '..');
const Args = z.object({
  users: z.coerce.number().int().min(100).default(200_000),
  seed: z.coerce.number().int().min(0).default(1),
  shards: z.coerce.number().int().min(1).default(8),
  processes: z.string().default('1,2'),
  'no-record': z.boolean().default(false),
  /** Skips the reference run (for profiling the pipeline alone; the figures are not recorded). */
  'no-reference': z.boolean().default(false),
  /** Keeps the database of an earlier run when it holds this population (profiling; not recorded). */
  'reuse-db': z.boolean().default(false),
});
const args = Args.parse(
  parseArgs({
    options: {
      users: { type: 'string' },
      seed: { type: 'string' },
      shards: { type: 'string' },
      processes: { type: 'string' },
      'no-record': { type: 'boolean' },
      'no-reference': { type: 'boolean' },
      'reuse-db': { type: 'boolean' },
    },
    strict: true,
  }).values,
);
const processCounts = args.processes.split(',').map(Number);
const DATE = '2026-11-22';
const SERVER = process.env['BENCH_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const DB_URL = `${SERVER}/${process.env['BENCH_DATABASE_NAME'] ?? 'kindred_bench_nightly'}`;
const log = pino({ level: 'warn' });
const say = (s: string) => process.stdout.write(`${s}\n`);

// 1. population (cached) and bulk load (untimed)
const dir = join(REPO, 'bench', 'out', `pop-${String(args.users)}-${String(args.seed)}`);
if (!existsSync(join(dir, 'meta.json'))) {
  mkdirSync(dir, { recursive: true });
  say(`generating ${String(args.users)} users into ${dir}`);
  generate({
    users: args.users,
    seed: args.seed,
    outDir: dir,
    days: 30,
    endDate: '2026-11-21',
    transactions: true,
  });
}
async function populationLoaded(): Promise<boolean> {
  if (!args['reuse-db']) return false;
  const probe = createPool({ connectionString: DB_URL, max: 1 }, log);
  try {
    const { rows } = await probe.query<{ users: number; tx: number }>(
      `SELECT (SELECT count(*)::int FROM users) AS users, (SELECT count(*)::int FROM transactions) AS tx`,
    );
    return rows[0]?.users === args.users && (rows[0]?.tx ?? 0) > 0;
  } catch {
    return false;
  } finally {
    await probe.end();
  }
}
// The code the workers run: the commit at the start, and whether the tree differed from it.
const commitAtStart = String(spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO }).stdout).trim();
const dirtyAtStart =
  String(
    spawnSync('git', ['status', '--porcelain', '--', 'src', 'workers', 'migrations'], { cwd: REPO }).stdout,
  ).trim() !== '';
const loadBeforeLoad = loadavg()
  .map((x) => x.toFixed(2))
  .join(', ');
const reused = await populationLoaded();
if (!reused) await recreateDatabase(DB_URL);
const pool = createPool({ connectionString: DB_URL, statementTimeoutMs: 4 * 3_600_000, max: 4 }, log);
const db = createDb(pool);
// The bulk path (population-loader.ts, bulk-transactions.ts): COPY FREEZE per partition on
// parallel connections, keys and indexes rebuilt afterwards, ANALYZE.
let t = performance.now();
let loaded = { users: args.users, merchants: 0, transactions: 0 };
let loadSeconds = Number.NaN;
let vacuumSeconds = Number.NaN;
if (reused) {
  say('reusing the loaded database (--reuse-db): load not measured, figures not recorded');
} else {
  loaded = await loadPopulation(pool, dir);
  loadSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  await sql`VACUUM ANALYZE`.execute(db);
  vacuumSeconds = (performance.now() - t) / 1000;
  say(
    `loaded ${JSON.stringify(loaded)} in ${loadSeconds.toFixed(1)} s, then VACUUM ANALYZE ${vacuumSeconds.toFixed(1)} s (untimed)`,
  );
}

// The machine may be shared: the load average goes with the figures.
const loadText = (): string =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
const loadAtStart = loadText();

// 2. the reference: score:file on the same data
let scoreFileSeconds = Number.NaN;
let scoreFileCpu = Number.NaN;
if (!args['no-reference']) {
  const cpuBefore = childrenCpuSeconds();
  t = performance.now();
  const ref = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/score-file.ts',
      '--input',
      join(dir, 'agg.tsv'),
      '--out',
      join(dir, 'top.tsv'),
      '--threads',
      '2',
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  scoreFileSeconds = (performance.now() - t) / 1000;
  scoreFileCpu = childrenCpuSeconds() - cpuBefore;
  if (ref.status !== 0) throw new Error(`score:file failed: ${ref.stderr.toString()}`);
  say(`score:file: ${scoreFileSeconds.toFixed(1)} s (${scoreFileCpu.toFixed(1)} CPU s)`);
}

// 3. the pipeline with N worker processes
function peakRssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) of a live process, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8')
      .split(') ')[1]!
      .split(' ');
    return Math.round(Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** CPU seconds of this process's waited-for children so far (cutime + cstime). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

type Result = {
  processes: number;
  totalSeconds: number;
  stages: Record<string, number>;
  peakRssMb: number[];
  cpuSeconds: number[];
  loadAfter: string;
};
const results: Result[] = [];
// Extra node flags for the worker processes, e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
const workerNodeArgs = (process.env['BENCH_WORKER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
for (const n of processCounts) {
  await sql`DELETE FROM matches`.execute(db);
  await sql`DELETE FROM scoring_runs`.execute(db);
  const prefix = `{kbench-${String(n)}-${String(Date.now())}}`;
  const config = parseConfig({
    DATABASE_URL: DB_URL,
    QUEUE_PREFIX: prefix,
    SCORE_SHARDS: String(args.shards),
  });
  const queues = createPipelineQueues(config, log, 'worker');
  const workers: ChildProcess[] = Array.from({ length: n }, () =>
    spawn(process.execPath, [...workerNodeArgs, '--import', 'tsx', 'workers/worker.ts'], {
      cwd: REPO,
      env: {
        ...process.env,
        DATABASE_URL: DB_URL,
        QUEUE_PREFIX: prefix,
        SCORE_SHARDS: String(args.shards),
        SCORE_THREADS: '1',
        WORKER_CONCURRENCY: '1',
        // the benchmark's run only: no scheduled run may start on its workers meanwhile
        NIGHTLY_CRON: 'off',
        PG_STATEMENT_TIMEOUT_MS: String(3_600_000),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  while (!(await queues.hasWorkers())) await new Promise((r) => setTimeout(r, 200));
  const service = createRunsService({ runs: createRunsRepository(db), queues, log });
  const started = performance.now();
  const { run } = await service.startRun(DATE, 'bench');
  let status = 'pending';
  while (status !== 'published' && status !== 'failed') {
    await new Promise((r) => setTimeout(r, 250));
    status = (await service.get(run.id)).status;
  }
  const totalSeconds = (performance.now() - started) / 1000;
  const final = await service.get(run.id);
  const rss = workers.map((w) => peakRssMb(w.pid));
  const cpu = workers.map((w) => cpuSeconds(w.pid));
  for (const w of workers) w.kill('SIGTERM');
  await Promise.allSettled(Object.values(queues.queues).map((q) => q.obliterate({ force: true })));
  await queues.close();
  if (status !== 'published') throw new Error(`run failed: ${final.error ?? ''}`);
  const s = final.stages as Record<string, Record<string, unknown>>;
  const shards = Object.values((s['score']?.['shards'] ?? {}) as Record<string, { seconds: number }>);
  const stages = {
    prepare: Number(s['prepare']?.['seconds']),
    scoreShardMax: Math.max(...shards.map((x) => x.seconds)),
    scoreShardSum: Math.round(shards.reduce((a, x) => a + x.seconds, 0) * 100) / 100,
    pair: Number(s['pair']?.['seconds']),
    publish: Number(s['publish']?.['seconds']),
  };
  results.push({
    processes: n,
    totalSeconds: Math.round(totalSeconds * 100) / 100,
    stages,
    peakRssMb: rss,
    cpuSeconds: cpu,
    loadAfter: loadText(),
  });
  say(
    `${String(n)} process(es): ${JSON.stringify(results.at(-1))}; paired ${String(final.pairedUsers)} of ${String(final.eligibleUsers)}`,
  );
  await new Promise((r) => setTimeout(r, 1_000));
}
await db.destroy();

// 4. record
const one = results.find((r) => r.processes === 1);
const two = results.find((r) => r.processes === 2);
const lines = [
  '',
  `## Nightly pipeline end to end (${new Date().toISOString().slice(0, 10)})`,
  '',
  `Command: \`npm run bench:nightly -- --users ${String(args.users)} --seed ${String(args.seed)} --shards ${String(args.shards)}\``,
  `(${String(loaded.users)} users, ${String(loaded.transactions)} transactions bulk-loaded in ${loadSeconds.toFixed(1)} s plus ${vacuumSeconds.toFixed(1)} s of VACUUM ANALYZE, untimed; each worker`,
  'process scores with one thread; machine: ' + `${String(spawnSync('nproc').stdout).trim()} cores).`,
  `Code: ${commitAtStart}${dirtyAtStart ? ' with uncommitted changes under src/, workers/ or migrations/' : ''} (at the start of the run).`,
  `Load average (1, 5, 15 min): ${loadBeforeLoad} before the load, ${loadAtStart} before the reference, ${results.map((r) => `${r.loadAfter} after ${String(r.processes)} process(es)`).join(', ')}.`,
  '',
  `Reference \`score:file\` (2 threads) on the same agg.tsv: ${scoreFileSeconds.toFixed(1)} s (${scoreFileCpu.toFixed(1)} CPU s).`,
  '',
  '| worker processes | total s | prepare s | score s (slowest shard) | score s (sum of shards) | pair s | publish s | peak RSS per process (MB) | CPU s per worker process |',
  '|---|---|---|---|---|---|---|---|---|',
  ...results.map(
    (r) =>
      `| ${String(r.processes)} | ${r.totalSeconds.toFixed(1)} | ${String(r.stages['prepare'])} | ${String(r.stages['scoreShardMax'])} | ${String(r.stages['scoreShardSum'])} | ${String(r.stages['pair'])} | ${String(r.stages['publish'])} | ${r.peakRssMb.join(', ')} | ${r.cpuSeconds.join(', ')} |`,
  ),
  '',
  'CPU s per worker process counts the Node process (its scoring thread included), not the Postgres backends.',
  '',
  ...(one && two
    ? [
        `Speed-up 1 → 2 processes: ${(one.totalSeconds / two.totalSeconds).toFixed(2)}× (target ≥ 1.6×); end to end vs score:file: ${(one.totalSeconds / scoreFileSeconds).toFixed(2)}× with 1 process, ${(two.totalSeconds / scoreFileSeconds).toFixed(2)}× with 2 (target ≤ 2×).`,
      ]
    : []),
  '',
];
if (!args['no-record'] && !args['no-reference']) await appendResults(lines.join('\n'));
say(lines.join('\n'));
process.exit(0);
