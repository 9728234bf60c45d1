import cookie from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ADMIN_COOKIE_PATH } from './admin-cookie.ts';
import { adminSessionRoutes } from './admin-session.routes.ts';
import { createAdminSessionService } from './admin-session.service.ts';
import { queueBoard } from './queue-board.ts';
import { signInPage } from './sign-in-page.ts';

export type AdminUiOptions = {
  /** Where `POST`/`DELETE` of the session live (`/v1/admin/session`). */
  sessionPrefix: string;
  /** Where the queue dashboard lives (`/admin/queues`): under the session cookie's path. */
  boardPrefix: string;
  deps: Pick<Deps, 'config' | 'clock' | 'queues'>;
};

/**
 * The operator pages: the admin session (a cookie for the browser), the sign-in page that sets it
 * (`/admin/sign-in`) and the queue dashboard. Cookies
 * are parsed in this scope only: no other route reads a cookie, so no other route can be driven
 * by one from another site.
 */
export const adminUi: FastifyPluginAsync<AdminUiOptions> = async (
  app,
  { sessionPrefix, boardPrefix, deps },
) => {
  if (!boardPrefix.startsWith(`${ADMIN_COOKIE_PATH}/`)) {
    throw new Error(
      `the queue dashboard must live under ${ADMIN_COOKIE_PATH}/, where the session cookie goes`,
    );
  }
  const { config, clock } = deps;
  const adminSessions = createAdminSessionService({
    jwt: { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    clock,
  });
  await app.register(cookie);
  await app.register(adminSessionRoutes, {
    prefix: sessionPrefix,
    adminSessions,
    secureCookie: config.NODE_ENV === 'production',
  });
  await app.register(signInPage, {
    prefix: ADMIN_COOKIE_PATH,
    sessionPath: sessionPrefix,
    boardPath: boardPrefix,
  });
  await app.register(queueBoard, {
    prefix: boardPrefix,
    adminSessions,
    queueConnection: deps.queues.connection,
    queuePrefix: config.QUEUE_PREFIX,
    signInPath: `${ADMIN_COOKIE_PATH}/sign-in`,
  });
};
