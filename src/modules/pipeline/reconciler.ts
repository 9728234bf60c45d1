import type { Logger } from 'pino';
import type { PipelineQueues } from '../../queue/producers.ts';
import type { RunsRepository } from '../runs/runs.repository.ts';
import { attemptOf } from '../runs/runs.service.ts';
import { shardsOf } from './context.ts';

export type ReconcilerDeps = {
  runs: Pick<RunsRepository, 'unfinished'>;
  queues: Pick<PipelineQueues, 'enqueuePrepare' | 'enqueueFlow'>;
  log: Pick<Logger, 'info' | 'warn'>;
  defaultShards: number;
};

/**
 * Re-enqueues every unfinished run from Postgres, the source of truth: a run still pending or
 * preparing gets its prepare job, a later one its flow. Ids are deterministic, so whatever Redis
 * still holds makes the add a no-op; after a Redis loss the jobs come back, and stages already
 * recorded in the run (finished shards) are skipped by the processors.
 */
export async function reconcileRuns({ runs, queues, log, defaultShards }: ReconcilerDeps): Promise<number> {
  const unfinished = await runs.unfinished();
  for (const run of unfinished) {
    const payload = { runId: run.id, date: run.date, attempt: attemptOf(run) };
    if (run.status === 'pending' || run.status === 'preparing') await queues.enqueuePrepare(payload);
    else await queues.enqueueFlow(payload, shardsOf(run, defaultShards));
  }
  if (unfinished.length > 0) log.info({ runs: unfinished.length }, 'reconciled unfinished runs');
  return unfinished.length;
}
