import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { requestFingerprint } from '../idempotency/canonical-json.ts';
import { clientIdOf } from './client-principal.ts';
import type { TransactionService } from './transactions.service.ts';
import {
  IdempotencyHeaders,
  IngestResult,
  MAX_TRANSACTIONS_PER_BATCH,
  TransactionBatch,
} from './transactions.schemas.ts';

const DESCRIPTION = `A batch of 1 to ${String(MAX_TRANSACTIONS_PER_BATCH)} transactions of consenting users.
Each item is accepted, a duplicate (its id was accepted before for this client, ever, even if the
row was since deleted by a consent withdrawal), or rejected with a code: \`no_consent\` (unknown
user, or no current \`transactions\` consent), \`unknown_merchant\`, \`in_future\` (more than
5 minutes ahead), \`out_of_window\` (older than the longest scoring window plus 30 days). Rejected
items are not stored and may be sent again later. A malformed batch (bad field, extra field, the
same id twice) is refused whole with 400.

The \`Idempotency-Key\` header is required: the first response per key is stored (at least 24 h)
and replayed for the same body with header \`idempotent-replayed: true\`; the same key with another
body is 422 \`idempotency_key_mismatch\`; while the first request runs, 409 \`idempotency_in_flight\`.`;

export const transactionRoutes: FastifyPluginAsyncZod<{ transactionService: TransactionService }> = async (
  app,
  { transactionService },
) => {
  app.post(
    '/',
    {
      onRequest: [app.requireScope('ingest')],
      schema: {
        tags: ['ingest'],
        summary: 'Ingest a batch of transactions',
        description: DESCRIPTION,
        headers: IdempotencyHeaders,
        body: TransactionBatch,
        response: { 200: IngestResult, 400: ErrorBody, 409: ErrorBody, 413: ErrorBody, 422: ErrorBody },
      },
    },
    async (request, reply) => {
      const outcome = await transactionService.ingestBatch({
        clientId: clientIdOf(request),
        idempotencyKey: request.headers['idempotency-key'],
        fingerprint: requestFingerprint(
          request.method,
          request.routeOptions.url ?? request.url,
          request.body,
        ),
        batch: request.body,
      });
      if (outcome.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(200).send(outcome.body);
    },
  );
  await Promise.resolve();
};
