import type { Deps } from '../../deps.ts';
import { createAuditRepository } from '../audit/audit.repository.ts';
import { createAuditService, deriveAuditKey } from '../audit/audit.service.ts';
import { createWeightSetsRepository } from './weight-sets.repository.ts';
import { createWeightSetService, type WeightSetService } from './weight-sets.service.ts';

/** Wires the weight-set service from the composition root. */
export const weightSetServiceFrom = (deps: Pick<Deps, 'db' | 'log' | 'clock' | 'config'>): WeightSetService =>
  createWeightSetService({
    weightSets: createWeightSetsRepository(deps.db),
    audit: createAuditService({
      audit: createAuditRepository(deps.db),
      key: deriveAuditKey(deps.config),
      clock: deps.clock,
    }),
    auditWithin: (trx) => createAuditRepository(trx),
    log: deps.log,
  });
