import type { FastifyInstance } from 'fastify';
import type { Deps } from './deps.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { createHealthService } from './modules/health/health.service.ts';

/**
 * The one place where feature routes are mounted: each with an explicit prefix and the services
 * it needs, built here from `deps` (so a test swaps a clock, never a database).
 */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(healthRoutes, { prefix: '/health', healthService: createHealthService(deps) });
}
