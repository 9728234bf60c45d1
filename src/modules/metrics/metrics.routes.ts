import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Clock } from '../../clock.ts';
import { ErrorBody } from '../../plugins/errors.ts';
import { DailyMetrics, DailyMetricsQuery } from './metrics.schemas.ts';
import type { MetricsService } from './metrics.service.ts';

export const metricsRoutes: FastifyPluginAsyncZod<{ metricsService: MetricsService; clock: Clock }> = async (
  app,
  { metricsService, clock },
) => {
  app.get(
    '/daily',
    {
      onRequest: [app.requireRole('analyst', 'admin')],
      schema: {
        tags: ['analyst'],
        summary: 'Daily matching outcomes',
        description: `Per business date: eligible users, matched share, like rate and mutual-like rate, overall
and by score decile. Aggregates only: rates over fewer than K_ANON users are null, and score buckets are
merged so that each holds at least K_ANON users.`,
        querystring: DailyMetricsQuery,
        response: { 200: DailyMetrics, 400: ErrorBody },
      },
    },
    (request) => metricsService.daily(request.query, clock.now()),
  );
  await Promise.resolve();
};
