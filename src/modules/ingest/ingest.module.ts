import type { Deps } from '../../deps.ts';
import { createIdempotencyRepository } from '../idempotency/idempotency.repository.ts';
import { createIdempotencyService } from '../idempotency/idempotency.service.ts';
import { createTransactionRepository } from './transactions.repository.ts';
import { createTransactionService, type TransactionService } from './transactions.service.ts';

/** Wires the transaction ingest service from the composition root. */
export const transactionServiceFrom = (
  deps: Pick<Deps, 'db' | 'clock' | 'log' | 'metrics'>,
): TransactionService =>
  createTransactionService({
    transactions: createTransactionRepository(deps.db),
    idempotency: createIdempotencyService({ records: createIdempotencyRepository(deps.db), log: deps.log }),
    clock: deps.clock,
    log: deps.log,
    metrics: deps.metrics.ingest,
  });
