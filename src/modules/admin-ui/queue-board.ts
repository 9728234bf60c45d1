import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { Queue } from 'bullmq';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { Redis } from 'ioredis';
import { checkRequirement, type AuthRequirement } from '../../plugins/auth.ts';
import { sendError, toErrorResponse } from '../../plugins/errors.ts';
import { QUEUE } from '../../queue/names.ts';
import { ADMIN_COOKIE } from './admin-cookie.ts';
import type { AdminSessionService } from './admin-session.service.ts';

export type QueueBoardOptions = {
  adminSessions: Pick<AdminSessionService, 'claimsOf'>;
  /** The API's queue connection and key prefix: the board reads the same queues the workers run. */
  queueConnection: Redis;
  queuePrefix: string;
  /** The page where a browser signs in and out (linked from the board's menu). */
  signInPath: string;
};

const ADMIN: AuthRequirement = { kind: 'user', roles: ['admin'] };

/**
 * Bull Board's UI loads its fonts from Google Fonts and sets inline styles (a loading screen in its
 * HTML, style attributes from React): the app-wide policy (`src/app.ts`) allows neither, so the
 * board's routes, and only they, get this policy. Scripts stay `'self'`.
 */
const BOARD_HELMET = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
      fontSrc: ["'self'", 'https://fonts.gstatic.com', 'data:'],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
    },
  },
};

/**
 * A browser sends the admin session cookie (set by `POST /v1/admin/session`) where it cannot send
 * a bearer header. Used only when no `Authorization` header came: a header, good or bad, decides
 * alone, as everywhere else.
 */
function identifyByCookie(
  adminSessions: QueueBoardOptions['adminSessions'],
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, _reply, done) => {
    const token = request.cookies[ADMIN_COOKIE];
    if (request.authFailure === 'missing' && token !== undefined && token !== '') {
      const claims = adminSessions.claimsOf(token);
      if (claims === null) request.authFailure = 'invalid';
      else {
        request.principal = { kind: 'user', userId: claims.sub, role: claims.role };
        request.authFailure = null;
      }
    }
    done();
  };
}

/**
 * Admin only, answered in the project's error shape. Sent from the hook rather than thrown:
 * Bull Board installs its own error handler on its routes, which would reshape a thrown error.
 */
function requireAdmin(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  try {
    checkRequirement(request, ADMIN);
  } catch (error) {
    void sendError(reply, toErrorResponse(error, request));
    return;
  }
  done();
}

/**
 * Bull Board (the queue dashboard) for every queue named in `src/queue/names.ts`, at this plugin's
 * prefix; its page, static assets and `/api` routes are all admin only. Its routes are hidden from
 * OpenAPI (Bull Board marks them `hide: true`): they are an operator's UI and its private API,
 * versioned with the `@bull-board/*` packages, not part of Kindred's contract.
 */
export const queueBoard: FastifyPluginAsync<QueueBoardOptions> = async (app, options) => {
  // Handles of our own (on the shared connection) for every name, so that a queue added to
  // QUEUE appears here without further wiring.
  const queues = Object.values(QUEUE).map(
    (name) => new Queue(name, { connection: options.queueConnection, prefix: options.queuePrefix }),
  );
  app.addHook('onClose', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
  });

  app.addHook('onRequest', identifyByCookie(options.adminSessions));
  // Route-level, after the rate limit's own hook (already attached by the root's onRoute hook),
  // so that refused requests are counted like everywhere else.
  app.addHook('onRoute', (route) => {
    const onRequest = route.onRequest;
    route.onRequest = [...(onRequest === undefined ? [] : [onRequest].flat()), requireAdmin];
    // @fastify/helmet reads a route's policy from `config.helmet` (its own onRoute hook, which
    // copies a route's `helmet` option there, has already run for these routes).
    route.config = Object.assign({}, route.config, { helmet: BOARD_HELMET });
  });

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(app.prefix);
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue)),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Kindred queues',
        miscLinks: [{ text: 'Sign in or out', url: options.signInPath }],
      },
    },
  });
  await app.register(serverAdapter.registerPlugin());
};
