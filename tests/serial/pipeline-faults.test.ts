import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineRuntime, type PipelineRuntime } from '../../src/modules/pipeline/runtime.ts';
import { createPipelineEnv, waitForRun, type PipelineTestEnv } from '../integration/pipeline/harness.ts';
import type { Db } from '../../src/db/database.ts';

/**
 * Fault injection on real services: a worker killed mid-shard, Redis and Postgres restarted
 * mid-run, concurrent triggers, the active weight set changed mid-run. Each disturbed run must
 * publish exactly the matches of an undisturbed run on the same data.
 */

const DATE = '2026-11-22';
const USERS = 1500;
const SEED = 11;
const PG_VERSION = '15';

type Published = Array<{
  u: string;
  c: string;
  score: number;
  bucket: string;
  cats: string[];
  crossed: boolean;
}>;

async function published(db: Db): Promise<Published> {
  const rows = await sql<Published[number]>`
    SELECT a.external_id AS u, b.external_id AS c, m.score, m.shared_bucket AS bucket, m.top_categories AS cats,
           m.crossed_paths AS crossed
    FROM matches m JOIN users a ON a.id = m.user_id JOIN users b ON b.id = m.counterpart_id
    WHERE m.match_date = ${DATE} ORDER BY a.external_id`.execute(db);
  return rows.rows;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statusOf = async (db: Db): Promise<string | undefined> =>
  (await sql<{ status: string }>`SELECT status FROM scoring_runs WHERE business_date = ${DATE}`.execute(db))
    .rows[0]?.status;

function redisUp(): boolean {
  try {
    return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping']).toString().trim() === 'PONG';
  } catch {
    return false;
  }
}

function startRedis(): void {
  if (redisUp()) return;
  execFileSync('redis-server', [
    '--daemonize',
    'yes',
    '--bind',
    '127.0.0.1',
    '-::1',
    '--port',
    '6379',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    '/var/lib/redis',
    '--logfile',
    '/var/log/redis/ci.log',
  ]);
  for (let i = 0; i < 50 && !redisUp(); i++) execFileSync('sleep', ['0.1']);
}

function pgUp(): boolean {
  try {
    execFileSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']);
    return true;
  } catch {
    return false;
  }
}

function ensurePostgres(): void {
  if (!pgUp()) execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, 'main', 'start']);
  for (let i = 0; i < 100 && !pgUp(); i++) execFileSync('sleep', ['0.1']);
}

function spawnWorker(env: PipelineTestEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'workers/worker.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: env.config.DATABASE_URL,
      QUEUE_PREFIX: env.config.QUEUE_PREFIX,
      SCORE_SHARDS: String(env.config.SCORE_SHARDS),
      SCORE_THREADS: '1',
      WORKER_LOCK_MS: '3000',
      RECONCILE_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
}

async function cleanupQueues(runtime: PipelineRuntime): Promise<void> {
  await Promise.allSettled(Object.values(runtime.queues.queues).map((q) => q.obliterate({ force: true })));
}

let reference: Published;

beforeAll(async () => {
  ensurePostgres();
  startRedis();
  const env = await createPipelineEnv({ users: USERS, seed: SEED, env: { SCORE_SHARDS: '4' } });
  const runtime = createPipelineRuntime(env);
  runtime.startWorkers();
  try {
    await runtime.runsService.startRun(DATE, 'reference');
    expect(await waitForRun(env.db, DATE, 120_000)).toBe('published');
    reference = await published(env.db);
    expect(reference.length).toBeGreaterThan(100);
  } finally {
    await cleanupQueues(runtime);
    await runtime.close();
    await env.close();
  }
}, 240_000);

afterAll(() => {
  ensurePostgres();
  startRedis();
});

async function withEnv(
  work: (env: PipelineTestEnv, runtime: PipelineRuntime) => Promise<void>,
): Promise<void> {
  const env = await createPipelineEnv({ users: USERS, seed: SEED, env: { SCORE_SHARDS: '4' } });
  const runtime = createPipelineRuntime(env);
  try {
    await work(env, runtime);
  } finally {
    ensurePostgres();
    startRedis();
    await cleanupQueues(runtime);
    await runtime.close();
    await env.close();
  }
}

describe('pipeline under faults', () => {
  it('completes with the same matches after a worker is killed with SIGKILL mid-shard', async () => {
    await withEnv(async (env, runtime) => {
      const first = spawnWorker(env);
      let second: ChildProcess | undefined;
      try {
        await runtime.runsService.startRun(DATE, 'test');
        await waitFor(
          async () => (await runtime.queues.queues.score.getActiveCount()) > 0,
          60_000,
          'an active shard',
        );
        first.kill('SIGKILL');
        second = spawnWorker(env);
        expect(await waitForRun(env.db, DATE, 120_000)).toBe('published');
        expect(await published(env.db)).toEqual(reference);
      } finally {
        first.kill('SIGKILL');
        second?.kill('SIGTERM');
      }
    });
  });

  it('completes with the same matches when Redis restarts empty mid-run', async () => {
    await withEnv(async (env, runtime) => {
      runtime.startWorkers({ reconcileIntervalMs: 1_000 });
      await runtime.runsService.startRun(DATE, 'test');
      await waitFor(async () => (await statusOf(env.db)) === 'scoring', 60_000, 'scoring');
      const admin = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
      admin.on('error', () => undefined);
      await admin.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      admin.disconnect();
      await new Promise((r) => setTimeout(r, 1_000));
      startRedis();
      expect(await waitForRun(env.db, DATE, 120_000)).toBe('published');
      expect(await published(env.db)).toEqual(reference);
    });
  });

  // A stage job waiting for the children it added itself: prepare for its parts, pair for its
  // groups. (The pair job also waits for the score shards, the flow making it their parent: only
  // its wait once the run is pairing counts.)
  for (const { queue, status, what } of [
    { queue: 'prepare', status: 'preparing', what: 'the prepare stage waits for its parts' },
    { queue: 'pair', status: 'pairing', what: 'the pair stage waits for its groups' },
  ] as const) {
    it(`completes with the same matches when Redis restarts empty while ${what}`, async () => {
      await withEnv(async (env, runtime) => {
        const admin = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
        admin.on('error', () => undefined);
        const events = new QueueEvents(runtime.queues.queues[queue].name, {
          connection: { host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null },
          prefix: env.config.QUEUE_PREFIX,
        });
        events.on('error', () => undefined);
        let shutdown: Promise<unknown> | undefined;
        events.on('waiting-children', () => {
          void statusOf(env.db).then((now) => {
            if (now === status) shutdown ??= admin.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
          });
        });
        await events.waitUntilReady();
        try {
          runtime.startWorkers({ reconcileIntervalMs: 1_000 });
          await runtime.runsService.startRun(DATE, 'test');
          await waitFor(() => Promise.resolve(shutdown !== undefined), 90_000, what);
          await shutdown;
        } finally {
          await Promise.race([events.close(), new Promise((r) => setTimeout(r, 2_000))]);
          admin.disconnect();
        }
        await new Promise((r) => setTimeout(r, 1_000));
        startRedis();
        expect(await waitForRun(env.db, DATE, 120_000)).toBe('published');
        expect(await published(env.db)).toEqual(reference);
      });
    });
  }

  it('completes with the same matches when Postgres restarts mid-run', async () => {
    await withEnv(async (env, runtime) => {
      runtime.startWorkers({ reconcileIntervalMs: 1_000 });
      await runtime.runsService.startRun(DATE, 'test');
      await waitFor(async () => (await statusOf(env.db)) === 'scoring', 60_000, 'scoring');
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', PG_VERSION, 'main', 'restart']);
      ensurePostgres();
      expect(await waitForRun(env.db, DATE, 180_000)).toBe('published');
      expect(await published(env.db)).toEqual(reference);
    });
  });

  it('makes one run of two simultaneous triggers', async () => {
    await withEnv(async (env, runtime) => {
      const other = createPipelineRuntime(env);
      try {
        const outcomes = await Promise.all([
          runtime.runsService.startRun(DATE, 'a'),
          other.runsService.startRun(DATE, 'b'),
        ]);
        expect(outcomes.map((o) => o.outcome).sort()).toEqual(['active', 'created']);
        expect(outcomes[0].run.id).toBe(outcomes[1].run.id);
        runtime.startWorkers();
        expect(await waitForRun(env.db, DATE, 120_000)).toBe('published');
        const runs = await sql<{ n: number }>`SELECT count(*)::int AS n FROM scoring_runs`.execute(env.db);
        expect(runs.rows[0]?.n).toBe(1);
        // one prepare, and each of its parts (a hash partition of transactions) once
        const prepared = await runtime.queues.queues.prepare.getJobs(['completed']);
        const parts = prepared.map((job) => (job.data as { part?: number }).part);
        expect(parts.filter((part) => part === undefined)).toHaveLength(1);
        const partNumbers = parts.filter((part) => part !== undefined).sort((a, b) => a - b);
        expect(partNumbers).toEqual(Array.from({ length: 8 }, (_, i) => i));
        expect(await published(env.db)).toEqual(reference);
      } finally {
        await other.close();
      }
    });
  });

  it('scores with the weight-set snapshot when the active set changes mid-run', async () => {
    await withEnv(async (env, runtime) => {
      runtime.startWorkers();
      const { run } = await runtime.runsService.startRun(DATE, 'test');
      await waitFor(async () => (await statusOf(env.db)) !== 'pending', 60_000, 'prepare');
      await sql`
        WITH ws AS (
          INSERT INTO weight_sets (name, version, params, created_by)
          VALUES ('changed', 2, ${JSON.stringify({ topK: 3, candidatePoolSize: 10, minSharedMerchants: 5 })}::jsonb, 'test')
          RETURNING id)
        INSERT INTO weight_set_activations (weight_set_id, activated_by) SELECT id, 'test' FROM ws`.execute(
        env.db,
      );
      expect(await waitForRun(env.db, DATE, 120_000)).toBe('published');
      const after = await runtime.runsService.get(run.id);
      expect(after.weightParams).toEqual(run.weightParams);
      expect(await published(env.db)).toEqual(reference);
    });
  });
});
