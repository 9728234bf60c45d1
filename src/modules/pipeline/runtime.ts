import type pg from 'pg';
import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import { createPipelineQueues, type PipelineQueues } from '../../queue/producers.ts';
import { createRunsRepository } from '../runs/runs.repository.ts';
import { createRunsService, type RunsService } from '../runs/runs.service.ts';
import { createPipelineContext, type PipelineContext } from './context.ts';
import { ensureNightlySchedule } from './scheduler.ts';
import { startPipelineWorkers, type PipelineWorkers, type WorkerOptions } from './workers.ts';

export type PipelineRuntime = {
  queues: PipelineQueues;
  ctx: PipelineContext;
  runsService: RunsService;
  /** Starts workers for the stage queues (and the nightly trigger) in this process. */
  startWorkers: (options?: Partial<WorkerOptions>) => PipelineWorkers;
  /** Upserts the nightly job scheduler. */
  schedule: (now: Date) => Promise<string>;
  close: () => Promise<void>;
};

/** Wires queues, repositories and services of the pipeline for a worker process or a CLI. */
export function createPipelineRuntime(deps: {
  config: Config;
  log: Logger;
  db: Db;
  pool: pg.Pool;
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
      const workers = startPipelineWorkers(
        ctx,
        { queues, runsService },
        {
          concurrency: options.concurrency ?? deps.config.WORKER_CONCURRENCY,
          lockDurationMs: options.lockDurationMs ?? deps.config.WORKER_LOCK_MS,
          reconcileIntervalMs: options.reconcileIntervalMs ?? deps.config.RECONCILE_INTERVAL_MS,
          ...(options.queues !== undefined && { queues: options.queues }),
        },
      );
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
