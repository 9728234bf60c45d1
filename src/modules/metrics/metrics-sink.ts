import { Counter, Registry } from 'prom-client';
import { REJECTION_CODES, type RejectionCode } from '../ingest/transactions.schemas.ts';

/**
 * How a transaction batch ended, as the ingest service decides it: `ingested` (run and stored),
 * `replayed` (same Idempotency-Key and body: the stored response sent again, nothing counted
 * twice), `key_mismatch` (422), `in_flight` (409), `failed` (anything else, a 5xx). Batches
 * refused by schema validation (400) never reach the service; the HTTP latency histogram counts
 * them by status code.
 */
export const INGEST_BATCH_STATUSES = ['ingested', 'replayed', 'key_mismatch', 'in_flight', 'failed'] as const;
export type IngestBatchStatus = (typeof INGEST_BATCH_STATUSES)[number];

export const INGEST_OUTCOMES = ['accepted', 'duplicate', 'rejected'] as const;

/** What the ingest service reports: counts under fixed label values, never an id or a name. */
export type IngestMetrics = {
  batch: (status: IngestBatchStatus) => void;
  transactions: (counts: {
    accepted: number;
    duplicate: number;
    rejected: readonly { code: RejectionCode }[];
  }) => void;
};

/**
 * The Prometheus registry of one process (the API serves it at `/metrics`) and the sinks that
 * features write to. It lives in the composition root so that a service gets a narrow sink
 * instead of reaching for a global registry; each `createDeps` (each test app) has its own.
 */
export type Metrics = { registry: Registry; ingest: IngestMetrics };

export function createMetrics(): Metrics {
  const registry = new Registry();

  const batches = new Counter({
    name: 'kindred_ingest_batches_total',
    help: 'transaction batches by how they ended (ingested, replayed, key_mismatch, in_flight, failed)',
    labelNames: ['status'],
    registers: [registry],
  });
  const transactions = new Counter({
    name: 'kindred_ingest_transactions_total',
    help: 'transactions of ingested batches by outcome (replays are not counted again)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'kindred_ingest_rejected_transactions_total',
    help: 'rejected transactions by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every series exists from the start at 0, so rate() and alerts see the first increment.
  for (const status of INGEST_BATCH_STATUSES) batches.inc({ status }, 0);
  for (const outcome of INGEST_OUTCOMES) transactions.inc({ outcome }, 0);
  for (const reason of REJECTION_CODES) rejections.inc({ reason }, 0);

  return {
    registry,
    ingest: {
      batch: (status) => {
        batches.inc({ status });
      },
      transactions: ({ accepted, duplicate, rejected }) => {
        transactions.inc({ outcome: 'accepted' }, accepted);
        transactions.inc({ outcome: 'duplicate' }, duplicate);
        transactions.inc({ outcome: 'rejected' }, rejected.length);
        for (const { code } of rejected) rejections.inc({ reason: code });
      },
    },
  };
}
