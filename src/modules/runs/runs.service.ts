import type { Logger } from 'pino';
import { WeightSetSchema, type WeightSet } from '../../core/scoring/weight-set.ts';
import { AppError, notFound } from '../../errors.ts';
import type { PipelineQueues } from '../../queue/producers.ts';
import { ACTIVE_STATUSES, type RunRecord, type RunsRepository } from './runs.repository.ts';

/** What a trigger did: made a run, restarted a failed one, or found one already there. */
export type StartOutcome = 'created' | 'restarted' | 'active' | 'published';

export type Deps = {
  runs: Pick<
    RunsRepository,
    'transaction' | 'lockDate' | 'findByDate' | 'findById' | 'list' | 'activeWeightSet' | 'insert' | 'restart'
  >;
  queues: Pick<PipelineQueues, 'enqueuePrepare'>;
  log: Pick<Logger, 'info' | 'warn'>;
};

/** The attempt number of a run (1 unless a failed run was restarted). */
export const attemptOf = (run: Pick<RunRecord, 'stages'>): number => {
  const attempt = run.stages['attempt'];
  return typeof attempt === 'number' && Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
};

/** The weight-set snapshot of a run, validated again: a run never scores with a malformed set. */
export const weightsOf = (run: Pick<RunRecord, 'weightParams'>): WeightSet =>
  WeightSetSchema.parse(run.weightParams);

export function createRunsService({ runs, queues, log }: Deps) {
  return {
    /**
     * Starts the run of a business date, once: under an advisory lock on the date, a date without
     * a run gets one (with a snapshot of the active weight set), a failed run is restarted with
     * the next attempt number, and an active or published run is left alone. The prepare job has
     * a deterministic id, so even a duplicate enqueue is a no-op. When Redis is down the run stays
     * `pending` in Postgres and the reconciler enqueues it later.
     */
    async startRun(date: string, triggeredBy: string): Promise<{ run: RunRecord; outcome: StartOutcome }> {
      const { run, outcome } = await runs.transaction(async (trx) => {
        await runs.lockDate(trx, date);
        const existing = await runs.findByDate(date, trx);
        if (existing !== undefined && existing.status !== 'failed') {
          return {
            run: existing,
            outcome: (existing.status === 'published' ? 'published' : 'active') as StartOutcome,
          };
        }
        const active = await runs.activeWeightSet(trx);
        if (active === undefined) throw new AppError(409, 'no_active_weight_set', 'no weight set is active');
        const params = WeightSetSchema.parse(active.params);
        if (existing === undefined) {
          const created = await runs.insert(trx, {
            date,
            weightSetId: active.id,
            params,
            triggeredBy,
            attempt: 1,
          });
          return { run: created, outcome: 'created' as StartOutcome };
        }
        const restarted = await runs.restart(trx, existing.id, {
          weightSetId: active.id,
          params,
          triggeredBy,
          attempt: attemptOf(existing) + 1,
        });
        return { run: restarted, outcome: 'restarted' as StartOutcome };
      });
      if (outcome === 'created' || outcome === 'restarted') {
        try {
          await queues.enqueuePrepare({ runId: run.id, date: run.date, attempt: attemptOf(run) });
        } catch (error) {
          log.warn(
            { runId: run.id, date: run.date, err: { message: (error as Error).message } },
            'run stored but not enqueued; the reconciler will enqueue it',
          );
        }
        log.info({ runId: run.id, date: run.date, outcome, triggeredBy }, 'nightly run started');
      }
      return { run, outcome };
    },

    async get(id: string): Promise<RunRecord> {
      const run = await runs.findById(id);
      if (run === undefined) throw notFound('run_not_found', 'no such run');
      return run;
    },

    list: (limit: number, beforeDate?: string): Promise<RunRecord[]> => runs.list(limit, beforeDate),

    isActive: (run: Pick<RunRecord, 'status'>): boolean => ACTIVE_STATUSES.includes(run.status),
  };
}

export type RunsService = ReturnType<typeof createRunsService>;
