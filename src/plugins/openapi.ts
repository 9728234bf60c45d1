import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { CLIENT_SECURITY, USER_SECURITY } from './auth.ts';

/** One tag per feature; routes name theirs in `schema.tags`. */
export const OPENAPI_TAGS = [
  { name: 'health', description: 'Liveness and readiness probes' },
  { name: 'profile', description: 'My profile' },
  { name: 'consents', description: 'My consent ledger' },
  { name: 'reveals', description: 'My merchants and the ones I reveal' },
  { name: 'match', description: "Today's match, decisions, the guess game, block and report" },
  { name: 'connections', description: 'Mutual likes' },
  { name: 'my-data', description: 'Access and erasure rights' },
  { name: 'ingest', description: 'Merchants, transactions and user attributes from the payment platform' },
  { name: 'analyst', description: 'Weight sets, evaluations, runs and aggregate metrics' },
];

/** OpenAPI at `/docs/json` (built from the zod schemas), Swagger UI at `/docs`. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kindred API',
        version: '1.0.0',
        description:
          'Consented matching of strangers whose consumption overlaps. Errors are `{ error: { code, message, details } }`.',
      },
      tags: OPENAPI_TAGS,
      components: {
        securitySchemes: {
          [USER_SECURITY]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'HS256 JWT: `sub` is the pseudonymous user id, `role` user|analyst|admin.',
          },
          [CLIENT_SECURITY]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'kdk_…',
            description: 'Service API key (`kdk_` + 43 characters) made by `npm run api-key`.',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}
