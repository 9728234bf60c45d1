import type { FastifyInstance } from 'fastify';
import type { Deps } from './deps.ts';
import { attributesServiceFrom } from './modules/attributes/attributes.module.ts';
import { attributesRoutes } from './modules/attributes/attributes.routes.ts';
import { transactionServiceFrom } from './modules/ingest/ingest.module.ts';
import { transactionRoutes } from './modules/ingest/transactions.routes.ts';
import { merchantServiceFrom } from './modules/merchants/merchants.module.ts';
import { merchantRoutes } from './modules/merchants/merchants.routes.ts';
import { healthRoutes } from './modules/health/health.routes.ts';
import { createHealthService } from './modules/health/health.service.ts';

/**
 * The one place where feature routes are mounted: each with an explicit prefix and the services
 * it needs, built here from `deps` (so a test swaps a clock, never a database).
 */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(healthRoutes, { prefix: '/health', healthService: createHealthService(deps) });
  await app.register(merchantRoutes, { prefix: '/v1/merchants', merchantService: merchantServiceFrom(deps) });
  await app.register(transactionRoutes, {
    prefix: '/v1/transactions',
    transactionService: transactionServiceFrom(deps),
  });
  await app.register(attributesRoutes, {
    prefix: '/v1/users',
    attributesService: attributesServiceFrom(deps),
  });
}
