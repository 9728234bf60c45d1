import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { IdempotencyService } from '../idempotency/idempotency.service.ts';
import type { TransactionRepository } from './transactions.repository.ts';
import { IngestResult, type TransactionBatch } from './transactions.schemas.ts';

type Deps = {
  transactions: Pick<TransactionRepository, 'ingest'>;
  idempotency: Pick<IdempotencyService, 'execute'>;
  clock: Clock;
  log: Pick<Logger, 'info'>;
};

export type IngestRequest = {
  clientId: string;
  idempotencyKey: string;
  /** SHA-256 of the request's method, route and canonical body (see canonical-json.ts). */
  fingerprint: Buffer;
  batch: TransactionBatch;
};

/** Only successes are stored for replay, so a response is always a 200. */
export type IngestResponse = { body: IngestResult; replayed: boolean };

export function createTransactionService({ transactions, idempotency, clock, log }: Deps) {
  return {
    /**
     * Ingests one batch under its idempotency key: two round trips in all (claim the key, then one
     * statement that classifies, registers and stores the rows and completes the key's record).
     * Logs counts only, never a row.
     */
    async ingestBatch(request: IngestRequest): Promise<IngestResponse> {
      const { clientId, idempotencyKey, fingerprint, batch } = request;
      const outcome = await idempotency.execute(
        { clientId, key: idempotencyKey, fingerprint },
        async (ticket) => {
          const { result, stored } = await transactions.ingest({
            clientId,
            items: batch.transactions,
            now: clock.now(),
            ticket,
          });
          log.info(
            {
              clientId,
              items: batch.transactions.length,
              accepted: result.accepted,
              duplicate: result.duplicate,
              rejected: result.rejected.length,
            },
            'transaction batch ingested',
          );
          return { status: 200, body: result, stored };
        },
      );
      if (!outcome.replayed) return { body: outcome.body as IngestResult, replayed: false };
      // A replayed body comes back from jsonb: check it still has the shape the contract promises.
      if (outcome.status !== 200)
        throw new Error(`stored ingest response has status ${String(outcome.status)}`);
      return { body: IngestResult.parse(outcome.body), replayed: true };
    },
  };
}

export type TransactionService = ReturnType<typeof createTransactionService>;
