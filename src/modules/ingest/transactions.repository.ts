import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import { ticketToken, type IdempotencyTicket } from '../idempotency/idempotency.repository.ts';
import type { IngestResult, TransactionInput } from './transactions.schemas.ts';

/** How far ahead of "now" a transaction may be dated (clock skew between systems). */
export const FUTURE_TOLERANCE_MINUTES = 5;
/** Retention beyond the longest window of any weight set (design section 6, rule 9). */
export const RETENTION_MARGIN_DAYS = 30;

export type IngestBatch = {
  clientId: string;
  items: readonly TransactionInput[];
  now: Date;
  /** When given, the response is stored under this idempotency claim by the same statement. */
  ticket?: IdempotencyTicket;
};

export type IngestOutcome = { result: IngestResult; stored: boolean };

export function createTransactionRepository(db: Db) {
  return {
    /**
     * Ingests a batch in one statement, whatever its size. Per item, in this order:
     * - `no_consent`: the user is unknown, or the latest `transactions` consent event is not a grant;
     * - `unknown_merchant`; `in_future` (more than 5 minutes after `now`);
     * - `out_of_window` (before `now` minus the longest `windowDays` of any weight set plus 30 days);
     * - otherwise the id is registered in `transaction_ids` (`ON CONFLICT DO NOTHING`): registered
     *   means `accepted` and the row is stored; already there means `duplicate`.
     * A rejected item whose id was accepted before is reported as `duplicate` too: the registry, not
     * today's consent, decides about an id that was stored once.
     * The summary is built in SQL so that the idempotency record can be completed atomically with
     * the rows it describes.
     */
    async ingest({ clientId, items, now, ticket }: IngestBatch): Promise<IngestOutcome> {
      const transactionIds: string[] = [];
      const userIds: string[] = [];
      const merchantIds: string[] = [];
      const amounts: number[] = [];
      const currencies: string[] = [];
      const occurredAts: string[] = [];
      for (const item of items) {
        transactionIds.push(item.transactionId);
        userIds.push(item.userId);
        merchantIds.push(item.merchantId);
        amounts.push(item.amountCents);
        currencies.push(item.currency);
        occurredAts.push(item.occurredAt);
      }
      const { rows } = await sql<{ body: IngestResult; completed: number }>`
        WITH input AS (
          SELECT (t.ord - 1)::int AS idx, t.transaction_id, t.user_ext, t.merchant_ext,
                 t.amount_cents, t.currency, t.occurred_at
          FROM unnest(${transactionIds}::text[], ${userIds}::text[], ${merchantIds}::text[],
                      ${amounts}::bigint[], ${currencies}::text[], ${occurredAts}::timestamptz[])
            WITH ORDINALITY AS t(transaction_id, user_ext, merchant_ext, amount_cents, currency, occurred_at, ord)
        ),
        bounds AS (
          SELECT ${now}::timestamptz + make_interval(mins => ${FUTURE_TOLERANCE_MINUTES}) AS latest,
                 ${now}::timestamptz - make_interval(days => coalesce(max((params ->> 'windowDays')::int), 0)
                                                       + ${RETENTION_MARGIN_DAYS}) AS earliest
          FROM weight_sets
        ),
        -- Locks the consenting users' rows for the statement: a withdrawal (which locks the row FOR
        -- UPDATE and clears the flag by trigger) either commits first, and the re-check of the flag on
        -- the newest row version refuses the rows, or waits until these rows are stored and then
        -- deletes them (migration 20261122T0400 explains why the flag lives on the row).
        consenting AS MATERIALIZED (
          SELECT u.external_id, u.id
          FROM users u
          WHERE u.external_id IN (SELECT user_ext FROM input) AND u.transactions_consent
          ORDER BY u.id
          FOR SHARE OF u
        ),
        classified AS (
          SELECT i.idx, i.transaction_id, i.amount_cents, i.currency, i.occurred_at,
                 u.id AS user_id, m.id AS merchant_id,
                 CASE
                   WHEN u.id IS NULL THEN 'no_consent'
                   WHEN m.id IS NULL THEN 'unknown_merchant'
                   WHEN i.occurred_at > b.latest THEN 'in_future'
                   WHEN i.occurred_at < b.earliest THEN 'out_of_window'
                 END AS code
          FROM input i
          CROSS JOIN bounds b
          LEFT JOIN consenting u ON u.external_id = i.user_ext
          LEFT JOIN merchants m ON m.external_id = i.merchant_ext
        ),
        registered AS (
          INSERT INTO transaction_ids (client_id, transaction_id)
          SELECT ${clientId}, transaction_id FROM classified WHERE code IS NULL
          -- One lock order for every batch: concurrent batches sharing ids wait, never deadlock.
          ORDER BY transaction_id COLLATE "C"
          ON CONFLICT DO NOTHING
          RETURNING transaction_id
        ),
        stored AS (
          INSERT INTO transactions (user_id, client_id, transaction_id, merchant_id, amount_cents, currency, occurred_at)
          SELECT c.user_id, ${clientId}, c.transaction_id, c.merchant_id, c.amount_cents, c.currency, c.occurred_at
          FROM classified c JOIN registered r USING (transaction_id)
          RETURNING 1
        ),
        -- Materialized so that the aggregate below does not repeat the CASE (and its subquery) per
        -- FILTER: that repetition inflated the estimated cost past jit_above_cost, and JIT compilation
        -- then cost more than the whole statement.
        outcomes AS MATERIALIZED (
          SELECT c.idx, c.transaction_id,
                 CASE
                   WHEN c.code IS NULL THEN CASE WHEN r.transaction_id IS NULL THEN 'duplicate' ELSE 'accepted' END
                   WHEN EXISTS (SELECT 1 FROM transaction_ids t
                                WHERE t.client_id = ${clientId} AND t.transaction_id = c.transaction_id)
                     THEN 'duplicate'
                   ELSE c.code
                 END AS outcome
          FROM classified c LEFT JOIN registered r USING (transaction_id)
        ),
        summary AS (
          SELECT jsonb_build_object(
                   'accepted', count(*) FILTER (WHERE outcome = 'accepted'),
                   'duplicate', count(*) FILTER (WHERE outcome = 'duplicate'),
                   'rejected', coalesce(
                     jsonb_agg(jsonb_build_object('index', idx, 'transactionId', transaction_id, 'code', outcome)
                               ORDER BY idx) FILTER (WHERE outcome NOT IN ('accepted', 'duplicate')),
                     '[]'::jsonb)
                 ) AS body
          FROM outcomes
        ),
        completed AS (
          UPDATE idempotency_records
          SET state = 'done', response_status = 200, response_body = (SELECT body FROM summary),
              completed_at = now()
          WHERE client_id = ${ticket?.clientId ?? null} AND key = ${ticket?.key ?? null}
            AND state = 'in_flight' AND ${ticketToken} = ${ticket?.token ?? null}
          RETURNING 1
        )
        SELECT s.body, (SELECT count(*) FROM completed)::int AS completed
        FROM summary s
      `.execute(db);
      const row = rows[0];
      if (row === undefined) throw new Error('the ingest statement returned no summary');
      return { result: row.body, stored: row.completed > 0 };
    },
  };
}

export type TransactionRepository = ReturnType<typeof createTransactionRepository>;
