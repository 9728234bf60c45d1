import type { FastifyInstance } from 'fastify';
import { Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Deps } from '../../deps.ts';
import type { RunStatus } from '../../db/types.ts';
import { QUEUE_NAMES } from '../../queue/names.ts';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
const RUN_STATUSES = [
  'pending',
  'preparing',
  'scoring',
  'pairing',
  'publishing',
  'published',
  'failed',
] as const satisfies readonly RunStatus[];

/** Seconds of a stage as the pipeline records it in `scoring_runs.stages` (score: the slowest shard). */
function stageSeconds(stages: Record<string, unknown>): [string, number][] {
  const out: [string, number][] = [];
  for (const stage of ['prepare', 'pair', 'publish']) {
    const s = (stages[stage] as { seconds?: unknown } | undefined)?.seconds;
    if (typeof s === 'number') out.push([stage, s]);
  }
  const shards = (stages['score'] as { shards?: Record<string, { seconds?: unknown }> } | undefined)?.shards;
  const shardSeconds = Object.values(shards ?? {})
    .map((s) => s.seconds)
    .filter((s): s is number => typeof s === 'number');
  if (shardSeconds.length > 0) out.push(['score', Math.max(...shardSeconds)]);
  return out;
}

/**
 * Prometheus metrics at `/metrics`, in the registry of this app's deps (tests build several apps,
 * each on its own deps; one deps serves one app): HTTP latency by method, route template and
 * status (the template, never the raw URL, so no id reaches a label), BullMQ job counts per queue
 * and state, runs per status, the latest published run's coverage, eligible users, mean score,
 * duration and stage durations, and the ingest counters that the ingest service increments
 * (`metrics-sink.ts`). Labels are fixed vocabularies only.
 */
export async function registerPrometheus(
  app: FastifyInstance,
  deps: Pick<Deps, 'db' | 'queues' | 'metrics'>,
): Promise<void> {
  const { registry } = deps.metrics;
  collectDefaultMetrics({ register: registry, prefix: 'kindred_' });

  const latency = new Histogram({
    name: 'kindred_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs (404s) share one label, so a scanner cannot grow the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  new Gauge({
    name: 'kindred_queue_jobs',
    help: 'BullMQ jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        QUEUE_NAMES.map(async (name) => {
          const counts = await deps.queues.queues[name].getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
        }),
      );
    },
  });

  new Gauge({
    name: 'kindred_runs',
    help: 'scoring runs per status (a failed run stays until it is retried)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      for (const status of RUN_STATUSES) this.set({ status }, 0);
      const rows = await deps.db
        .selectFrom('scoring_runs')
        .select(['status', (eb) => eb.fn.countAll<string>().as('runs')])
        .groupBy('status')
        .execute();
      for (const row of rows) this.set({ status: row.status }, Number(row.runs));
    },
  });

  const latestRun = () =>
    deps.db
      .selectFrom('scoring_runs')
      .select(['coverage', 'eligible_users', 'mean_score', 'stages', 'started_at', 'finished_at'])
      .where('status', '=', 'published')
      .orderBy('business_date', 'desc')
      .limit(1)
      .executeTakeFirst();
  const runGauge = (
    name: string,
    help: string,
    pick: (r: NonNullable<Awaited<ReturnType<typeof latestRun>>>) => number | null,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        this.reset();
        const run = await latestRun();
        const value = run === undefined ? null : pick(run);
        if (value !== null) this.set(value);
      },
    });
  runGauge(
    'kindred_run_coverage',
    'share of eligible users paired by the latest published run',
    (r) => r.coverage,
  );
  runGauge(
    'kindred_run_eligible_users',
    'eligible users of the latest published run',
    (r) => r.eligible_users,
  );
  runGauge('kindred_run_mean_score', 'mean pair score of the latest published run', (r) => r.mean_score);
  runGauge(
    'kindred_run_duration_seconds',
    'wall-clock seconds of the latest published run, from its start to its publication',
    (r) =>
      r.started_at === null || r.finished_at === null
        ? null
        : (r.finished_at.getTime() - r.started_at.getTime()) / 1000,
  );
  new Gauge({
    name: 'kindred_run_stage_seconds',
    help: 'duration of each stage of the latest published run (score: its slowest shard)',
    labelNames: ['stage'],
    registers: [registry],
    async collect() {
      this.reset();
      const run = await latestRun();
      for (const [stage, s] of stageSeconds(run?.stages ?? {})) this.set({ stage }, s);
    },
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  await Promise.resolve();
}
