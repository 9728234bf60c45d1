import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { clientIdOf } from '../ingest/client-principal.ts';
import { MAX_MERCHANTS_PER_BATCH, MerchantBatch, MerchantUpsertResult } from './merchants.schemas.ts';
import type { MerchantService } from './merchants.service.ts';

export const merchantRoutes: FastifyPluginAsyncZod<{ merchantService: MerchantService }> = async (
  app,
  { merchantService },
) => {
  app.put(
    '/',
    {
      onRequest: [app.requireScope('ingest')],
      schema: {
        tags: ['ingest'],
        summary: 'Create or replace merchants',
        description: `Bulk upsert of 1 to ${String(MAX_MERCHANTS_PER_BATCH)} merchants by platform id, in one
statement. Each merchant is replaced whole (an omitted \`city\` or position is cleared). Answers how
many were created, changed, and sent unchanged.`,
        body: MerchantBatch,
        response: { 200: MerchantUpsertResult, 400: ErrorBody, 413: ErrorBody },
      },
    },
    (request) => merchantService.upsertBatch(clientIdOf(request), request.body),
  );
  await Promise.resolve();
};
