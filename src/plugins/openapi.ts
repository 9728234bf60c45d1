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
        description: [
          'Consented matching of strangers whose consumption overlaps.',
          '',
          'Errors are `{ error: { code, message, details: [{ path, message }] } }`; validation errors (400 `invalid_request`) list every bad field as `body.a.0.b`, `querystring.x`, `params.id` or `headers.h`.',
          '',
          'Authentication: `Authorization: Bearer <JWT>` for users, analysts and admins; `Authorization: Bearer kdk_…` for service clients.',
          'No credential → 401 `unauthenticated`; a malformed, badly signed, expired, wrong-issuer/audience token or an unknown/revoked key → 401 `invalid_credentials`;',
          'an API key on a user route or a user token on a service route → 403 `wrong_credential_type`; the right kind without the role or scope → 403 `forbidden`.',
          '',
          'Every response carries `x-request-id` (yours if it is ≤128 characters of `[A-Za-z0-9._-]`). Over the rate limit → 429 `rate_limited` with `retry-after`; a backing service down → 503 `service_unavailable`.',
        ].join('\n'),
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
