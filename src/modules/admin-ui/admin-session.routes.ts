import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { ADMIN_COOKIE, adminCookieOptions } from './admin-cookie.ts';
import { AdminSessionBody } from './admin-session.schemas.ts';
import type { AdminSessionService } from './admin-session.service.ts';

export type AdminSessionRoutesOptions = { adminSessions: AdminSessionService; secureCookie: boolean };

/**
 * Signs a browser in to the queue dashboard (`/admin/queues`) and out again. The credential is the
 * token in the body, so these operations declare no bearer scheme (`security: []`).
 */
export const adminSessionRoutes: FastifyPluginAsyncZod<AdminSessionRoutesOptions> = async (
  app,
  { adminSessions, secureCookie },
) => {
  const cookie = adminCookieOptions(secureCookie);

  app.post(
    '',
    {
      schema: {
        tags: ['admin'],
        summary: 'Open a queue dashboard session',
        description: `Verifies that \`token\` is a valid JWT with role admin and sets it in the cookie
\`${ADMIN_COOKIE}\` (HttpOnly, SameSite=Strict, Path=/admin, Secure in production, expiring with the
token), so that a browser can open \`/admin/queues\`, which also takes \`Authorization: Bearer\`.
A bad or expired token is 401 \`invalid_credentials\`, another role 403 \`forbidden\`.`,
        security: [],
        body: AdminSessionBody,
        response: {
          204: z.null().describe('the cookie is set'),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const session = adminSessions.open(request.body.token);
      return reply
        .setCookie(ADMIN_COOKIE, session.token, { ...cookie, maxAge: session.maxAgeSeconds })
        .code(204)
        .send(null);
    },
  );

  app.delete(
    '',
    {
      schema: {
        tags: ['admin'],
        summary: 'Close the queue dashboard session',
        description: `Clears the cookie \`${ADMIN_COOKIE}\`. Needs no credential: it only tells this browser to forget its own cookie.`,
        security: [],
        response: { 204: z.null().describe('the cookie is cleared') },
      },
    },
    async (_request, reply) => reply.clearCookie(ADMIN_COOKIE, cookie).code(204).send(null),
  );
  await Promise.resolve();
};
