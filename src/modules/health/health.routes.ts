import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthService } from './health.service.ts';

const Check = z.object({ ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() });
const Live = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });
const Ready = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ postgres: Check, redis: Check }),
  })
  .meta({ id: 'Readiness' });

/** Probes for orchestrators: exempt from rate limits, no authentication. */
export const healthRoutes: FastifyPluginAsyncZod<{ healthService: HealthService }> = async (
  app,
  { healthService },
) => {
  app.get(
    '/live',
    {
      config: { rateLimit: false },
      schema: { tags: ['health'], summary: 'The process serves requests', response: { 200: Live } },
    },
    () => ({ status: 'ok' as const }),
  );
  app.get(
    '/ready',
    {
      config: { rateLimit: false },
      schema: {
        tags: ['health'],
        summary: 'Postgres and Redis answer; 503 names the one that does not',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const { ready, checks } = await healthService.readiness();
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
    },
  );
  await Promise.resolve();
};
