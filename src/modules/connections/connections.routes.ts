import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerId } from '../users/caller.ts';
import { ConnectionsView } from './connections.schemas.ts';
import type { ConnectionsService } from './connections.service.ts';

/** `/v1/me/connections`: mutual likes, the only place contact handles are shown. */
export const connectionsRoutes: FastifyPluginAsyncZod<{ connectionsService: ConnectionsService }> = async (
  app,
  { connectionsService },
) => {
  app.get(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['match'],
        summary: "My mutual likes: alias, both contact handles, both sides' reveals",
        response: { 200: ConnectionsView },
      },
    },
    async (request) => ({ connections: await connectionsService.list(callerId(request)) }),
  );
  await Promise.resolve();
};
