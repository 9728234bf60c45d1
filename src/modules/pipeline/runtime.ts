import type pg from 'pg';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import type { PipelineQueueName, QueueName } from '../../queue/names.ts';
import { createPipelineQueues, type PipelineQueues } from '../../queue/producers.ts';
import { evaluationContextFrom } from '../evaluations/evaluations.module.ts';
import { startEvaluationWorker } from '../evaluations/evaluations.worker.ts';
import { createRunsRepository } from '../runs/runs.repository.ts';
import { createRunsService, type RunsService } from '../runs/runs.service.ts';
import { createPipelineContext, type PipelineContext } from './context.ts';
import { ensureNightlySchedule } from './scheduler.ts';
import { startPipelineWorkers, type PipelineWorkers, type WorkerOptions } from './workers.ts';

export type PipelineRuntime = {
  queues: PipelineQueues;
  ctx: PipelineContext;
  runsService: RunsService;
  /**
   * Starts workers for the stage queues, the nightly trigger and the evaluations in this process
   * (`queues` picks some of them).
   */
  startWorkers: (options?: RuntimeWorkerOptions) => PipelineWorkers;
  /** Upserts the nightly job scheduler. */
  schedule: (now: Date) => Promise<string>;
  close: () => Promise<void>;
};

export type RuntimeWorkerOptions = Partial<Omit<WorkerOptions, 'queues'>> & { queues?: readonly QueueName[] };

/** Wires queues, repositories and services of the pipeline for a worker process or a CLI. */
export function createPipelineRuntime(deps: {
  config: Config;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  clock?: Clock;
}): PipelineRuntime {
  const queues = createPipelineQueues(deps.config, deps.log, 'worker');
  const ctx = createPipelineContext({ ...deps, queues });
  const runsService = createRunsService({ runs: createRunsRepository(deps.db), queues, log: deps.log });
  const started: PipelineWorkers[] = [];
  return {
    queues,
    ctx,
    runsService,
    startWorkers(options = {}) {
      const lockDurationMs = options.lockDurationMs ?? deps.config.WORKER_LOCK_MS;
      const reconcileIntervalMs = options.reconcileIntervalMs ?? deps.config.RECONCILE_INTERVAL_MS;
      const pipelineQueues = options.queues?.filter((q): q is PipelineQueueName => q !== 'evaluate');
      const pipeline = startPipelineWorkers(
        ctx,
        { queues, runsService },
        {
          concurrency: options.concurrency ?? deps.config.WORKER_CONCURRENCY,
          lockDurationMs,
          reconcileIntervalMs,
          ...(pipelineQueues !== undefined && { queues: pipelineQueues }),
        },
      );
      if (options.queues !== undefined && !options.queues.includes('evaluate')) {
        started.push(pipeline);
        return pipeline;
      }
      // One evaluation at a time per process: each holds a whole population in memory.
      const evaluation = startEvaluationWorker(
        evaluationContextFrom({ ...deps, clock: deps.clock ?? systemClock }),
        { config: deps.config, queues },
        { concurrency: 1, lockDurationMs, reconcileIntervalMs },
      );
      const workers: PipelineWorkers = {
        workers: [...pipeline.workers, evaluation.worker],
        reconcile: pipeline.reconcile,
        async close(timeoutMs) {
          await Promise.all([pipeline.close(timeoutMs), evaluation.close(timeoutMs)]);
        },
      };
      started.push(workers);
      return workers;
    },
    schedule: (now) => ensureNightlySchedule(queues, deps.config, now),
    async close() {
      await Promise.all(started.map((w) => w.close()));
      await queues.close();
    },
  };
}
