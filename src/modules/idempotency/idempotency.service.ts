import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import type { IdempotencyRepository, IdempotencyTicket } from './idempotency.repository.ts';

/**
 * Idempotency keys, after the IETF Idempotency-Key draft and Stripe.
 *
 * Per (client, key) the first request stores a SHA-256 fingerprint of its method, route and
 * canonical body as an `in_flight` record, runs, and stores its status and response body as
 * `done`. Then:
 * - the same key with the same fingerprint replays the stored response (same status and body);
 * - the same key with another fingerprint is `422 idempotency_key_mismatch`;
 * - the same key while the first request still runs is `409 idempotency_in_flight`;
 * - a request that throws (any 5xx) deletes its in-flight record, so that the client may retry;
 * - an in-flight record older than `staleInFlightSeconds` belongs to a request that died without
 *   cleaning up (a crashed process): the next request with that key takes it over.
 *
 * Requests rejected by schema validation never reach this service, so they store nothing.
 * Records are kept at least `RETENTION_HOURS` (24 h); `purgeExpired` deletes older ones (for the
 * nightly retention to call). A replay after the purge runs the request again, which is harmless
 * for transactions: their ids are registered once, ever, so a re-run counts them as duplicates.
 *
 * Round trips: one to claim; the handler may store its response inside its own statement (it gets
 * the ticket for that) so that success costs no further round trip.
 */
export const RETENTION_HOURS = 24;
export const DEFAULT_STALE_IN_FLIGHT_SECONDS = 300;
const CLAIM_ATTEMPTS = 3;

export type IdempotentResponse = { status: number; body: unknown };
export type IdempotentOutcome = IdempotentResponse & { replayed: boolean };
/** What a handler returns: `stored` says it already saved the response under the ticket. */
export type HandlerResult = IdempotentResponse & { stored: boolean };

type Deps = {
  records: Pick<IdempotencyRepository, 'claim' | 'complete' | 'release' | 'purgeOlderThan'>;
  log: Pick<Logger, 'warn'>;
  staleInFlightSeconds?: number;
};

export function createIdempotencyService({ records, log, staleInFlightSeconds }: Deps) {
  const staleAfter = staleInFlightSeconds ?? DEFAULT_STALE_IN_FLIGHT_SECONDS;

  const claimOrExisting = async (clientId: string, key: string, fingerprint: Buffer) => {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const result = await records.claim(clientId, key, fingerprint, staleAfter);
      if (result !== undefined) return result;
    }
    // Only a record created and deleted between every attempt gets here: the other request runs.
    throw inFlight();
  };

  return {
    async execute(
      request: { clientId: string; key: string; fingerprint: Buffer },
      handler: (ticket: IdempotencyTicket) => Promise<HandlerResult>,
    ): Promise<IdempotentOutcome> {
      const claim = await claimOrExisting(request.clientId, request.key, request.fingerprint);
      if (claim.kind === 'existing') {
        const { record } = claim;
        if (!record.requestHash.equals(request.fingerprint)) {
          throw new AppError(
            422,
            'idempotency_key_mismatch',
            'this Idempotency-Key was used with a different request body; use a new key',
            [{ path: 'headers.idempotency-key', message: 'reused with a different request body' }],
          );
        }
        if (record.state === 'in_flight' || record.status === null) throw inFlight();
        return { status: record.status, body: record.body, replayed: true };
      }

      const { ticket } = claim;
      let result: HandlerResult;
      try {
        result = await handler(ticket);
      } catch (error) {
        await records.release(ticket).catch((releaseError: unknown) => {
          log.warn({ err: releaseError }, 'could not release an idempotency record');
        });
        throw error;
      }
      if (!result.stored) {
        const saved = await records.complete(ticket, result.status, result.body);
        if (!saved) log.warn('idempotency record was taken over before completion');
      }
      return { status: result.status, body: result.body, replayed: false };
    },

    /** Deletes records older than the retention; returns how many went. */
    purgeExpired(): Promise<number> {
      return records.purgeOlderThan(RETENTION_HOURS);
    },
  };
}

const inFlight = (): AppError =>
  new AppError(
    409,
    'idempotency_in_flight',
    'a request with this Idempotency-Key is still being processed; retry later',
    [{ path: 'headers.idempotency-key', message: 'a request with this key is in flight' }],
  );

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
