import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { MAX_REVEALED_MERCHANTS } from '../../core/masking/index.ts';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import { RevealsView, SetRevealsInput, SetRevealsView } from './reveals.schemas.ts';
import type { RevealsService } from './reveals.service.ts';

export type RevealsRouteOptions = { revealsService: RevealsService; actionRateLimitMax: number };

/** `/v1/me/reveals`: the merchants I choose to show on my matches' cards. */
export const revealsRoutes: FastifyPluginAsyncZod<RevealsRouteOptions> = async (
  app,
  { revealsService, actionRateLimitMax },
) => {
  app.get(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['reveals'],
        summary: 'My reveals, with whether each is shown now',
        response: { 200: RevealsView },
      },
    },
    async (request) => ({
      max: MAX_REVEALED_MERCHANTS,
      reveals: await revealsService.list(callerId(request)),
    }),
  );

  app.put(
    '',
    {
      onRequest: app.requireUser,
      config: { rateLimit: { max: actionRateLimitMax, timeWindow: 60_000 } },
      schema: {
        tags: ['reveals'],
        summary: 'Choose the merchants shown on my cards (at most 5)',
        description: `Replaces my reveals with the accepted ids; each refused id is listed with its
reason. A merchant qualifies when I bought there in the active weight set's window and at least
K_ANON users with a current transactions consent did too (GET /v1/me/merchants says which).`,
        body: SetRevealsInput,
        response: { 200: SetRevealsView, 400: ErrorBody },
      },
    },
    async (request) => ({
      max: MAX_REVEALED_MERCHANTS,
      ...(await revealsService.set(callerId(request), request.body.merchantIds, { requestId: request.id })),
    }),
  );
  await Promise.resolve();
};
