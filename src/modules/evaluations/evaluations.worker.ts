import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueConfig } from '../../queue/connection.ts';
import { createQueueConnection } from '../../queue/connection.ts';
import { QUEUE } from '../../queue/names.ts';
import { closeWorkers, keepReconciled } from '../../queue/worker-lifecycle.ts';
import type { PipelineQueues } from '../../queue/producers.ts';
import { failureText } from '../pipeline/workers.ts';
import { processEvaluation, type EvaluationContext } from './evaluations.jobs.ts';

export type EvaluationWorkerOptions = {
  /** Evaluations this process runs at once (each holds a whole population in memory). */
  concurrency: number;
  lockDurationMs: number;
  reconcileIntervalMs: number;
};

export type EvaluationWorker = {
  worker: Worker;
  /** Re-enqueues every evaluation Postgres says is still owed (after a Redis loss); returns how many. */
  reconcile: () => Promise<number>;
  close: (timeoutMs?: number) => Promise<void>;
};

/**
 * The worker of the `evaluate` queue. A job that has used its attempts (or failed for good) marks
 * its evaluation `failed` with a short message, so no evaluation waits forever; the reconciler
 * (now, every `reconcileIntervalMs`, and when Redis comes back) re-enqueues queued and running
 * evaluations under their deterministic job ids.
 */
export function startEvaluationWorker(
  ctx: EvaluationContext,
  deps: { config: QueueConfig; queues: Pick<PipelineQueues, 'enqueueEvaluation'> },
  options: EvaluationWorkerOptions,
): EvaluationWorker {
  const connection: Redis = createQueueConnection(deps.config, ctx.log, 'worker');
  const worker = new Worker(QUEUE.evaluate, (job: Job) => processEvaluation(ctx, job), {
    connection,
    prefix: deps.config.QUEUE_PREFIX,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: Math.max(1_000, Math.floor(options.lockDurationMs / 2)),
    maxStalledCount: 2,
  });
  worker.on('failed', (job, error) => {
    if (job === undefined) return;
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    ctx.log.warn(
      {
        queue: QUEUE.evaluate,
        jobId: job.id,
        attemptsMade: job.attemptsMade,
        final,
        err: { message: error.message },
      },
      'evaluation job failed',
    );
    const id = (job.data as { evaluationId?: unknown }).evaluationId;
    if (final && typeof id === 'string') {
      ctx.evaluations.fail(id, failureText('evaluate', error), ctx.clock.now()).catch((e: unknown) => {
        ctx.log.warn({ err: { message: (e as Error).message } }, 'could not mark evaluation failed');
      });
    }
  });
  worker.on('error', (error) => {
    ctx.log.warn({ queue: QUEUE.evaluate, err: { message: error.message } }, 'worker error');
  });

  const reconcile = async (): Promise<number> => {
    const ids = await ctx.evaluations.unfinishedIds();
    for (const evaluationId of ids) await deps.queues.enqueueEvaluation({ evaluationId });
    return ids.length;
  };
  const safeReconcile = () =>
    reconcile().catch((error: unknown) => {
      ctx.log.warn({ err: { message: (error as Error).message } }, 'evaluation reconcile failed; will retry');
      return 0;
    });
  const stopReconciling = keepReconciled(connection, safeReconcile, options.reconcileIntervalMs);

  return {
    worker,
    reconcile,
    async close(timeoutMs = 30_000) {
      stopReconciling();
      await closeWorkers([worker], [connection], timeoutMs);
    },
  };
}
