import type { Job } from 'bullmq';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import type { PipelineQueues } from '../../queue/producers.ts';
import { createRunsRepository, type RunRecord, type RunsRepository } from '../runs/runs.repository.ts';
import { attemptOf } from '../runs/runs.service.ts';
import {
  createIdempotencyRepository,
  type IdempotencyRepository,
} from '../idempotency/idempotency.repository.ts';
import { createPipelineRepository, type PipelineRepository } from './pipeline.repository.ts';

export type PipelineConfig = Pick<
  Config,
  | 'MATCH_TIMEZONE'
  | 'SCORE_SHARDS'
  | 'SCORE_THREADS'
  | 'WORKER_CONCURRENCY'
  | 'NIGHTLY_CRON'
  | 'REDIS_URL'
  | 'QUEUE_PREFIX'
>;

/** What every stage processor needs; built once per worker process. */
export type PipelineContext = {
  config: PipelineConfig;
  log: Logger;
  runs: RunsRepository;
  pipeline: PipelineRepository;
  /** Retention of the ingest's idempotency records, run with the nightly purge. */
  idempotency: Pick<IdempotencyRepository, 'purgeOlderThan'>;
  queues: Pick<
    PipelineQueues,
    'enqueuePrepare' | 'enqueueFlow' | 'enqueuePrepareParts' | 'enqueuePairGroups'
  >;
  /**
   * How a shard splits its users into kernel calls (score.jobs.ts); tests lower both to drive the
   * chunked path with a small population.
   */
  scoreChunks?: { inlineBelow: number; chunkUsers: number };
  /**
   * Share of the run's users above which prepare splits a city over several shards (shard-plan.ts);
   * tests lower it to drive the split path with a small population.
   */
  shardSplitShare?: number;
};

export function createPipelineContext(deps: {
  config: PipelineConfig;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  clock?: Clock;
  queues: Pick<
    PipelineQueues,
    'enqueuePrepare' | 'enqueueFlow' | 'enqueuePrepareParts' | 'enqueuePairGroups'
  >;
}): PipelineContext {
  return {
    config: deps.config,
    log: deps.log,
    runs: createRunsRepository(deps.db),
    pipeline: createPipelineRepository(deps.db, deps.pool),
    idempotency: createIdempotencyRepository(deps.db),
    queues: deps.queues,
  };
}

/** The run a job belongs to, or undefined when the job is stale (another attempt, or gone). */
export async function runOfJob(
  ctx: PipelineContext,
  payload: { runId: string; date: string; attempt: number },
): Promise<RunRecord | undefined> {
  const run = await ctx.runs.findById(payload.runId);
  if (run === undefined || run.date !== payload.date || attemptOf(run) !== payload.attempt) return undefined;
  return run;
}

/** The shard count a run was prepared with. */
export const shardsOf = (run: RunRecord, fallback: number): number => {
  const prepare = run.stages['prepare'] as { shards?: unknown } | undefined;
  const n = prepare?.shards;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : fallback;
};

export const seconds = (startMs: number): number => Math.round((performance.now() - startMs) / 10) / 100;

export type StageResult = { skipped?: string } & Record<string, unknown>;
export type StageJob = Pick<Job, 'data' | 'updateProgress' | 'id'> &
  /** A job from a worker (not a test's stand-in) can wait for children it adds. */
  Partial<Pick<Job, 'queueQualifiedName' | 'moveToWaitingChildren'>>;
