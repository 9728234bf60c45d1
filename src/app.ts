import { randomUUID } from 'node:crypto';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, type RawServerDefault } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { Deps } from './deps.ts';
import { createApiClientRepository } from './modules/api-clients/api-clients.repository.ts';
import { registerAuth, registerGuards } from './plugins/auth.ts';
import { registerErrorHandling, sendError } from './plugins/errors.ts';
import { registerJsonParser } from './plugins/json-body.ts';
import { registerOpenApi } from './plugins/openapi.ts';
import { registerRateLimit } from './plugins/rate-limit.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerRoutes } from './routes.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Honours a sane incoming `x-request-id` (≤128 of [A-Za-z0-9._-]), else a fresh UUID. */
export const requestIdOf = (request: IncomingMessage): string => {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
};

export type RouteEntry = { method: string; url: string; hidden: boolean; hasResponseSchema: boolean };

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route as registered (method, full url, hidden from OpenAPI or not). */
    routeCatalog: RouteEntry[];
  }
}

export type BuildAppOptions = {
  /** Redis key prefix of the rate-limit counters (tests give each app its own). */
  rateLimitNameSpace?: string;
};

/**
 * The HTTP application: plugins, the error shape, authentication and every route. Never listens;
 * `src/server.ts` does, tests use `app.inject()`.
 */
export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify<RawServerDefault>({
    loggerInstance: deps.log,
    genReqId: requestIdOf,
    bodyLimit: deps.config.BODY_LIMIT_BYTES,
    // Platform ids reach 128 characters, up to three times that once percent-encoded.
    routerOptions: { maxParamLength: 512 },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    trustProxy: false,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  // Plain JSON-schema routes of plugins (swagger-ui) would break the zod serializer.
  app.setSerializerCompiler((context) => {
    const { schema } = context;
    return schema instanceof z.ZodType
      ? serializerCompiler({ ...context, schema })
      : (data: unknown) => JSON.stringify(data);
  });

  const routeCatalog: RouteEntry[] = [];
  app.decorate('routeCatalog', routeCatalog);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routeCatalog.push({
        method,
        url: route.url,
        hidden: route.schema?.hide === true,
        hasResponseSchema: route.schema?.response !== undefined,
      });
    }
  });

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  registerJsonParser(app);
  // Shed load first, before any authentication lookup.
  await app.register(underPressure, {
    // Event-loop delay is the overload signal; utilization near 1 is normal for a busy, healthy server.
    maxEventLoopDelay: 1_000,
    retryAfter: 10,
    pressureHandler: (request, reply, type, value) => {
      request.log.warn({ pressure: type, value }, 'under pressure');
      void sendError(reply.header('retry-after', '10'), {
        status: 503,
        body: {
          error: { code: 'service_unavailable', message: 'server is overloaded, retry later', details: [] },
        },
      });
    },
  });

  registerAuth(app, {
    config: deps.config,
    clock: deps.clock,
    apiClients: createApiClientRepository(deps.db),
  });

  await registerRateLimit(app, deps, { nameSpace: options.rateLimitNameSpace ?? 'kindred:rate-limit:' });
  registerGuards(app);
  registerErrorHandling(app, app.rateLimit());

  await registerOpenApi(app);
  await registerSecurityHeaders(app, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...app.swaggerCSP.script],
        styleSrc: ["'self'", ...app.swaggerCSP.style],
        imgSrc: ["'self'", 'data:'],
      },
    },
  });

  await registerRoutes(app, deps);
  // Not made ready here: listen() and inject() do it, and tests may add test-only routes first.
  return app;
}
