import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { AttributesBody, AttributesParams, UserAttributes } from './attributes.schemas.ts';
import type { AttributesService } from './attributes.service.ts';

export const attributesRoutes: FastifyPluginAsyncZod<{ attributesService: AttributesService }> = async (
  app,
  { attributesService },
) => {
  app.put(
    '/:userId/attributes',
    {
      onRequest: [app.requireScope('ingest')],
      schema: {
        tags: ['ingest'],
        summary: "Set a user's verification and credit-standing flags",
        description: `Owned by the payment platform. Creates the user when the flags arrive before the
user signs up. The flags only filter eligibility: they are never shown to other users nor ranked on.`,
        params: AttributesParams,
        body: AttributesBody,
        response: { 200: UserAttributes, 400: ErrorBody },
      },
    },
    (request) => attributesService.set(request.params.userId, request.body),
  );
  await Promise.resolve();
};
