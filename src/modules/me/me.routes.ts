import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerId } from '../users/caller.ts';
import { DataExportView, OwnMerchantsView } from './me.schemas.ts';
import type { MeService } from './me.service.ts';

/** `/v1/me`: my merchants, the export of my data, and erasure. */
export const meRoutes: FastifyPluginAsyncZod<{ meService: MeService }> = async (app, { meService }) => {
  app.get(
    '/merchants',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['reveals'],
        summary: 'My merchants in the scoring window, with visits and whether each may be revealed',
        response: { 200: OwnMerchantsView },
      },
    },
    (request) => meService.merchants(callerId(request)),
  );

  app.get(
    '/data',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['my-data'],
        summary: 'Export of everything held about me',
        response: { 200: DataExportView },
      },
    },
    (request) => meService.exportData(callerId(request)),
  );

  app.delete(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['my-data'],
        summary: 'Erase me and all my data',
        description:
          'One database transaction; the audit log keeps a pseudonymous entry without personal data. 204 also when there was nothing to erase. The same token may then start again as a new, empty user.',
        response: { 204: z.null().describe('erased') },
      },
    },
    async (request, reply) => {
      await meService.erase(callerId(request), { requestId: request.id });
      return reply.code(204).send(null);
    },
  );
  // The plugin interface is async; registration itself has nothing to wait for.
  await Promise.resolve();
};
