import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';

/**
 * Proof of ownership of an in-flight record: the microsecond epoch of its `created_at`. Completing
 * or releasing a record matches on it, so a request whose stale claim was taken over cannot
 * overwrite the newer claim's outcome.
 */
export type IdempotencyTicket = { clientId: string; key: string; token: string };

export type ExistingRecord = {
  state: 'in_flight' | 'done';
  requestHash: Buffer;
  status: number | null;
  body: unknown;
};

export type ClaimResult =
  { kind: 'claimed'; ticket: IdempotencyTicket } | { kind: 'existing'; record: ExistingRecord };

type ClaimRow = {
  token: string | null;
  state: 'in_flight' | 'done' | null;
  request_hash: Buffer | null;
  response_status: number | null;
  response_body: unknown;
};

/** The token expression, shared by every statement that matches on it. */
export const ticketToken = sql<string>`(extract(epoch FROM created_at) * 1000000)::bigint::text`;

export function createIdempotencyRepository(db: Db) {
  return {
    /**
     * One statement: inserts an in-flight record, or takes over an in-flight one older than
     * `staleAfterSeconds` (its request died without releasing it), or returns the record that is
     * there. `undefined` when a concurrent claim committed after this statement's snapshot: the
     * caller asks again.
     */
    async claim(
      clientId: string,
      key: string,
      requestHash: Buffer,
      staleAfterSeconds: number,
    ): Promise<ClaimResult | undefined> {
      const { rows } = await sql<ClaimRow>`
        WITH claimed AS (
          INSERT INTO idempotency_records (client_id, key, request_hash, state)
          VALUES (${clientId}, ${key}, ${requestHash}, 'in_flight')
          ON CONFLICT (client_id, key) DO UPDATE
            SET request_hash = excluded.request_hash, created_at = clock_timestamp(), completed_at = NULL
            WHERE idempotency_records.state = 'in_flight'
              AND idempotency_records.created_at < now() - make_interval(secs => ${staleAfterSeconds})
          RETURNING ${ticketToken} AS token
        )
        SELECT token, NULL::text AS state, NULL::bytea AS request_hash,
               NULL::smallint AS response_status, NULL::jsonb AS response_body
        FROM claimed
        UNION ALL
        SELECT NULL, state, request_hash, response_status, response_body
        FROM idempotency_records
        WHERE client_id = ${clientId} AND key = ${key} AND NOT EXISTS (SELECT 1 FROM claimed)
      `.execute(db);
      const row = rows[0];
      if (row === undefined) return undefined;
      if (row.token !== null) return { kind: 'claimed', ticket: { clientId, key, token: row.token } };
      if (row.state === null || row.request_hash === null) return undefined;
      return {
        kind: 'existing',
        record: {
          state: row.state,
          requestHash: row.request_hash,
          status: row.response_status,
          body: row.response_body,
        },
      };
    },

    /** Stores the response of a claimed request; false when the claim is no longer ours. */
    async complete(ticket: IdempotencyTicket, status: number, body: unknown): Promise<boolean> {
      const result = await sql`
        UPDATE idempotency_records
        SET state = 'done', response_status = ${status}, response_body = ${JSON.stringify(body)}::jsonb,
            completed_at = now()
        WHERE client_id = ${ticket.clientId} AND key = ${ticket.key} AND state = 'in_flight'
          AND ${ticketToken} = ${ticket.token}
      `.execute(db);
      return (result.numAffectedRows ?? 0n) > 0n;
    },

    /** Forgets a claimed request that failed, so that the client may retry with the same key. */
    async release(ticket: IdempotencyTicket): Promise<void> {
      await sql`
        DELETE FROM idempotency_records
        WHERE client_id = ${ticket.clientId} AND key = ${ticket.key} AND state = 'in_flight'
          AND ${ticketToken} = ${ticket.token}
      `.execute(db);
    },

    /** Deletes records created more than `olderThanHours` ago; returns how many went. */
    async purgeOlderThan(olderThanHours: number): Promise<number> {
      const result = await sql`
        DELETE FROM idempotency_records
        WHERE created_at < now() - make_interval(hours => ${olderThanHours})
      `.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
