import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { notFound } from '../../errors.ts';
import type { PipelineQueues } from '../../queue/producers.ts';
import type { WeightSetsRepository } from '../weight-sets/weight-sets.repository.ts';
import type { EvaluationRecord, EvaluationsRepository } from './evaluations.repository.ts';
import type {
  CreateEvaluationBody,
  EvaluationReport,
  EvaluationSummary,
  EvaluationView,
} from './evaluations.schemas.ts';

type Deps = {
  evaluations: Pick<EvaluationsRepository, 'insert' | 'findById' | 'list'>;
  weightSets: Pick<WeightSetsRepository, 'findById'>;
  queues: Pick<PipelineQueues, 'enqueueEvaluation'>;
  clock: Clock;
  log: Logger;
};

/** How many evaluations the list returns (the newest). */
export const EVALUATION_LIST_LIMIT = 100;

const summary = (r: EvaluationRecord): EvaluationSummary => ({
  id: r.id,
  weightSetId: r.weightSetId,
  baselineWeightSetId: r.baselineWeightSetId,
  status: r.status,
  progress: r.progress,
  createdAt: r.createdAt,
  startedAt: r.startedAt,
  finishedAt: r.finishedAt,
  error: r.error,
});

/**
 * Evaluations of weight sets (design section 7). Postgres holds each one's state; the work is a
 * BullMQ job named by the evaluation's id. When Redis is down at creation the evaluation stays
 * `queued` and the evaluation worker's reconciler enqueues it later.
 */
export function createEvaluationService({ evaluations, weightSets, queues, clock, log }: Deps) {
  return {
    async create(body: CreateEvaluationBody, requestedBy: string): Promise<{ evaluationId: string }> {
      for (const id of [body.weightSetId, body.baselineWeightSetId]) {
        if (id !== undefined && (await weightSets.findById(id)) === undefined) {
          throw notFound('weight_set_not_found', `no weight set with id ${id}`);
        }
      }
      const row = await evaluations.insert({
        weightSetId: body.weightSetId,
        baselineWeightSetId: body.baselineWeightSetId ?? null,
        requestedBy,
        createdAt: clock.now(),
      });
      try {
        await queues.enqueueEvaluation({ evaluationId: row.id });
      } catch (error) {
        log.warn(
          { evaluationId: row.id, err: { message: (error as Error).message } },
          'evaluation not enqueued; the reconciler will',
        );
      }
      return { evaluationId: row.id };
    },

    async list(): Promise<EvaluationSummary[]> {
      return (await evaluations.list(EVALUATION_LIST_LIMIT)).map(summary);
    },

    async get(id: string): Promise<EvaluationView> {
      const row = await evaluations.findById(id);
      if (row === undefined) throw notFound('evaluation_not_found', `no evaluation with id ${id}`);
      return { ...summary(row), report: (row.report ?? null) as EvaluationReport | null };
    },
  };
}

export type EvaluationService = ReturnType<typeof createEvaluationService>;
