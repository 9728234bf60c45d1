import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { AppError } from '../../errors.ts';
import type { IdempotencyService } from '../idempotency/idempotency.service.ts';
import type { IngestBatchStatus, IngestMetrics } from '../metrics/metrics-sink.ts';
import type { TransactionRepository } from './transactions.repository.ts';
import { IngestResult, type TransactionBatch } from './transactions.schemas.ts';

type Deps = {
  transactions: Pick<TransactionRepository, 'ingest'>;
  idempotency: Pick<IdempotencyService, 'execute'>;
  clock: Clock;
  log: Pick<Logger, 'info'>;
  metrics: IngestMetrics;
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

/** The batch status of a request that threw (the idempotency service's refusals, or a failure). */
const failedStatus = (error: unknown): IngestBatchStatus => {
  if (error instanceof AppError && error.code === 'idempotency_key_mismatch') return 'key_mismatch';
  if (error instanceof AppError && error.code === 'idempotency_in_flight') return 'in_flight';
  return 'failed';
};

export function createTransactionService({ transactions, idempotency, clock, log, metrics }: Deps) {
  const ingestOnce = async (request: IngestRequest): Promise<IngestResponse> => {
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
        // The rows are committed; a replay never runs this handler, so nothing is counted twice.
        metrics.transactions(result);
        return { status: 200, body: result, stored };
      },
    );
    if (!outcome.replayed) return { body: outcome.body as IngestResult, replayed: false };
    // A replayed body comes back from jsonb: check it still has the shape the contract promises.
    if (outcome.status !== 200)
      throw new Error(`stored ingest response has status ${String(outcome.status)}`);
    return { body: IngestResult.parse(outcome.body), replayed: true };
  };

  return {
    /**
     * Ingests one batch under its idempotency key: two round trips in all (claim the key, then one
     * statement that classifies, registers and stores the rows and completes the key's record).
     * Logs and counts (for /metrics) numbers only, never a row.
     */
    async ingestBatch(request: IngestRequest): Promise<IngestResponse> {
      try {
        const response = await ingestOnce(request);
        metrics.batch(response.replayed ? 'replayed' : 'ingested');
        return response;
      } catch (error) {
        metrics.batch(failedStatus(error));
        throw error;
      }
    },
  };
}

export type TransactionService = ReturnType<typeof createTransactionService>;
