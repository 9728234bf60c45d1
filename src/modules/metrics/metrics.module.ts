import type { Deps } from '../../deps.ts';
import { createMetricsRepository } from './metrics.repository.ts';
import { createMetricsService, type MetricsService } from './metrics.service.ts';

/** Wires the analyst metrics service from the composition root. */
export const metricsServiceFrom = (deps: Pick<Deps, 'db' | 'config'>): MetricsService =>
  createMetricsService({ metrics: createMetricsRepository(deps.db), kAnon: deps.config.K_ANON });
