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
import { consentsRoutes } from './modules/consents/consents.routes.ts';
import { meRoutes } from './modules/me/me.routes.ts';
import { profileRoutes } from './modules/profile/profile.routes.ts';
import { createUserServices } from './modules/users/user-services.ts';
import { matchModuleFrom } from './modules/match/match.module.ts';
import { matchRoutes } from './modules/match/match.routes.ts';
import { revealsRoutes } from './modules/reveals/reveals.routes.ts';
import { connectionsRoutes } from './modules/connections/connections.routes.ts';
import { adminSafetyRoutes, safetyRoutes } from './modules/safety/safety.routes.ts';
import { runsRoutes } from './modules/runs/runs.routes.ts';
import { runsServiceFrom } from './modules/runs/runs.module.ts';
import { metricsServiceFrom } from './modules/metrics/metrics.module.ts';
import { metricsRoutes } from './modules/metrics/metrics.routes.ts';
import { registerPrometheus } from './modules/metrics/prometheus.ts';
import { weightSetServiceFrom } from './modules/weight-sets/weight-sets.module.ts';
import { weightSetRoutes } from './modules/weight-sets/weight-sets.routes.ts';
import { evaluationServiceFrom } from './modules/evaluations/evaluations.module.ts';
import { evaluationRoutes } from './modules/evaluations/evaluations.routes.ts';
import { adminUi } from './modules/admin-ui/admin-ui.module.ts';
import { registerDashboard } from './dashboard/dashboard.plugin.ts';

/**
 * The one place where feature routes are mounted: each with an explicit prefix and the services
 * it needs, built here from `deps` (so a test swaps a clock, never a database).
 */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  await registerPrometheus(app, deps);
  await app.register(healthRoutes, { prefix: '/health', healthService: createHealthService(deps) });
  const userServices = createUserServices(deps);
  await app.register(profileRoutes, { prefix: '/v1/me/profile', ...userServices });
  await app.register(consentsRoutes, { prefix: '/v1/me/consents', ...userServices });
  await app.register(meRoutes, { prefix: '/v1/me', ...userServices });
  const match = matchModuleFrom(deps);
  await app.register(matchRoutes, { prefix: '/v1/me/match', ...match });
  await app.register(safetyRoutes, { prefix: '/v1/me/match', ...match });
  await app.register(revealsRoutes, { prefix: '/v1/me/reveals', ...match });
  await app.register(connectionsRoutes, { prefix: '/v1/me/connections', ...match });
  await app.register(adminSafetyRoutes, { prefix: '/v1/admin/users', ...match });
  await app.register(merchantRoutes, { prefix: '/v1/merchants', merchantService: merchantServiceFrom(deps) });
  await app.register(transactionRoutes, {
    prefix: '/v1/transactions',
    transactionService: transactionServiceFrom(deps),
  });
  await app.register(attributesRoutes, {
    prefix: '/v1/users',
    attributesService: attributesServiceFrom(deps),
  });
  await app.register(weightSetRoutes, {
    prefix: '/v1/analyst/weight-sets',
    weightSetService: weightSetServiceFrom(deps),
  });
  await app.register(metricsRoutes, {
    prefix: '/v1/analyst/metrics',
    metricsService: metricsServiceFrom(deps),
    clock: deps.clock,
  });
  await app.register(runsRoutes, { prefix: '/v1/analyst/runs', ...runsServiceFrom(deps) });
  await app.register(evaluationRoutes, {
    prefix: '/v1/analyst/evaluations',
    evaluationService: evaluationServiceFrom(deps),
  });
  await app.register(adminUi, { sessionPrefix: '/v1/admin/session', boardPrefix: '/admin/queues', deps });
  await registerDashboard(app);
}
