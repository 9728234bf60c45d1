import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createQueueConnection } from '../../queue/connection.ts';
import { QUEUE, type PipelineQueueName, type StageName } from '../../queue/names.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { closeWorkers, keepReconciled } from '../../queue/worker-lifecycle.ts';
import type { PipelineQueues } from '../../queue/producers.ts';
import type { RunsService } from '../runs/runs.service.ts';
import type { PipelineContext, StageJob, StageResult } from './context.ts';
import { processPair } from './pair.jobs.ts';
import { processPrepare } from './prepare.jobs.ts';
import { processPublish } from './publish.jobs.ts';
import { reconcileRuns } from './reconciler.ts';
import { scheduledBusinessDate } from './scheduler.ts';
import { processScore } from './score.jobs.ts';

const PROCESSORS: Record<
  StageName,
  (ctx: PipelineContext, job: StageJob, token?: string) => Promise<StageResult>
> = {
  prepare: processPrepare,
  score: processScore,
  pair: processPair,
  publish: processPublish,
};

export type WorkerOptions = {
  concurrency: number;
  lockDurationMs: number;
  reconcileIntervalMs: number;
  /** Which queues of the nightly run this process serves (default all). */
  queues?: readonly PipelineQueueName[];
};

export type PipelineWorkers = {
  workers: Worker[];
  reconcile: () => Promise<number>;
  /** Stops taking jobs, waits for active ones (or until `timeoutMs`), closes connections. */
  close: (timeoutMs?: number) => Promise<void>;
};

/** A short, user-free description of a failure for the run row (no values from the data). */
export function failureText(stage: string, error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? ` (${e.code})` : '';
  const message = typeof e.message === 'string' ? e.message.replace(/\d{4,}/g, '#').slice(0, 200) : 'error';
  return `${stage}: ${message}${code}`;
}

/**
 * Starts one BullMQ worker per queue on a shared blocking-capable connection set, the
 * reconciler (now and every `reconcileIntervalMs`, and whenever Redis comes back), and marks a
 * run failed when one of its jobs has exhausted its attempts.
 */
export function startPipelineWorkers(
  ctx: PipelineContext,
  deps: {
    queues: Pick<
      PipelineQueues,
      'enqueuePrepare' | 'enqueueFlow' | 'enqueuePrepareParts' | 'enqueuePairGroups'
    >;
    runsService: Pick<RunsService, 'startRun'>;
  },
  options: WorkerOptions,
): PipelineWorkers {
  const names = options.queues ?? [QUEUE.nightly, QUEUE.prepare, QUEUE.score, QUEUE.pair, QUEUE.publish];
  const connections: Redis[] = [];
  const workers: Worker[] = [];

  const reconcile = () =>
    reconcileRuns({
      runs: ctx.runs,
      queues: deps.queues,
      log: ctx.log,
      defaultShards: ctx.config.SCORE_SHARDS,
    });
  const safeReconcile = () =>
    reconcile().catch((error: unknown) => {
      ctx.log.warn({ err: { message: (error as Error).message } }, 'reconcile failed; will retry');
      return 0;
    });

  for (const name of names) {
    const connection = createQueueConnection(ctx.config, ctx.log, 'worker');
    connections.push(connection);
    const processor = async (job: Job, token?: string): Promise<unknown> => {
      if (name === QUEUE.nightly) {
        parsePayload('nightly', job.data);
        const date = scheduledBusinessDate(job, ctx.config.MATCH_TIMEZONE);
        const { run, outcome } = await deps.runsService.startRun(date, 'scheduler');
        return { runId: run.id, date, outcome };
      }
      return PROCESSORS[name](ctx, job, token);
    };
    const worker = new Worker(name, processor, {
      connection,
      prefix: ctx.config.QUEUE_PREFIX,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: Math.max(1_000, Math.floor(options.lockDurationMs / 2)),
      maxStalledCount: 3,
    });
    worker.on('failed', (job, error) => {
      if (job === undefined || name === QUEUE.nightly) return;
      const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const runId = (job.data as { runId?: unknown }).runId;
      ctx.log.warn(
        {
          queue: name,
          jobId: job.id,
          attemptsMade: job.attemptsMade,
          final,
          err: { message: error.message },
        },
        'pipeline job failed',
      );
      if (final && typeof runId === 'string') {
        ctx.runs.markFailed(runId, failureText(name, error)).catch((e: unknown) => {
          ctx.log.warn({ err: { message: (e as Error).message } }, 'could not mark run failed');
        });
      }
    });
    worker.on('error', (error) => {
      ctx.log.warn({ queue: name, err: { message: error.message } }, 'worker error');
    });
    workers.push(worker);
  }

  // Redis coming back (possibly empty) is the moment to re-enqueue from Postgres.
  const stopReconciling = keepReconciled(connections[0], safeReconcile, options.reconcileIntervalMs);

  return {
    workers,
    reconcile,
    async close(timeoutMs = 30_000) {
      stopReconciling();
      await closeWorkers(workers, connections, timeoutMs);
    },
  };
}
