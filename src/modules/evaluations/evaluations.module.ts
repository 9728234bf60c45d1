import type { Deps } from '../../deps.ts';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import type { Db } from '../../db/database.ts';
import type pg from 'pg';
import type { Logger } from 'pino';
import { createWeightSetsRepository } from '../weight-sets/weight-sets.repository.ts';
import { createEvaluationDataRepository } from './evaluation-data.repository.ts';
import type { EvaluationContext } from './evaluations.jobs.ts';
import { createEvaluationsRepository } from './evaluations.repository.ts';
import { createEvaluationService, type EvaluationService } from './evaluations.service.ts';

/** Wires the evaluation service of the API from the composition root. */
export const evaluationServiceFrom = (
  deps: Pick<Deps, 'db' | 'queues' | 'clock' | 'log'>,
): EvaluationService =>
  createEvaluationService({
    evaluations: createEvaluationsRepository(deps.db),
    weightSets: createWeightSetsRepository(deps.db),
    queues: deps.queues,
    clock: deps.clock,
    log: deps.log,
  });

/** What a worker process's evaluation jobs need. */
export const evaluationContextFrom = (deps: {
  config: Config;
  log: Logger;
  db: Db;
  pool: pg.Pool;
  clock: Clock;
}): EvaluationContext => ({
  config: deps.config,
  log: deps.log,
  clock: deps.clock,
  evaluations: createEvaluationsRepository(deps.db),
  data: createEvaluationDataRepository(deps.db, deps.pool),
  weightSets: createWeightSetsRepository(deps.db),
});
