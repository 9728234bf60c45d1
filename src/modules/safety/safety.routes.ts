import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import {
  BlockInput,
  BlockView,
  ReinstateParams,
  ReinstateView,
  ReportInput,
  ReportView,
} from './safety.schemas.ts';
import type { SafetyService } from './safety.service.ts';

export type SafetyRouteOptions = { safetyService: SafetyService; actionRateLimitMax: number };

/** `/v1/me/match/block` and `/v1/me/match/report`. */
export const safetyRoutes: FastifyPluginAsyncZod<SafetyRouteOptions> = async (
  app,
  { safetyService, actionRateLimitMax },
) => {
  const config = { rateLimit: { max: actionRateLimitMax, timeWindow: 60_000 } };
  app.post(
    '/block',
    {
      onRequest: app.requireUser,
      config,
      schema: {
        tags: ['safety'],
        summary: 'Block my match for good, both ways; ends the match',
        description: "Idempotent. The body may be omitted (today's match) or name one of my matches.",
        body: BlockInput.nullish(),
        response: { 200: BlockView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    (request) => safetyService.block(callerId(request), request.body?.matchId),
  );

  app.post(
    '/report',
    {
      onRequest: app.requireUser,
      config,
      schema: {
        tags: ['safety'],
        summary: 'Report my match; also blocks',
        description: `409 already_reported for a second report of the same person. Reports from
REPORT_SUSPEND_THRESHOLD distinct users suspend the reported user from matching until an admin
reinstates them.`,
        body: ReportInput,
        response: { 201: ReportView, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const { reason, note, matchId } = request.body;
      const result = await safetyService.report(
        callerId(request),
        { reason, note, matchId },
        { requestId: request.id },
      );
      return reply.code(201).send(result);
    },
  );
  await Promise.resolve();
};

/** `/v1/admin/users/:userId/reinstate`. */
export const adminSafetyRoutes: FastifyPluginAsyncZod<{ safetyService: SafetyService }> = async (
  app,
  { safetyService },
) => {
  app.post(
    '/:userId/reinstate',
    {
      onRequest: app.requireRole('admin'),
      schema: {
        tags: ['admin'],
        summary: 'Lift a suspension (audited)',
        params: ReinstateParams,
        response: { 200: ReinstateView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    (request) => safetyService.reinstate(callerId(request), request.params.userId, { requestId: request.id }),
  );
  await Promise.resolve();
};
