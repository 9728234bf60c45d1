import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

export type OwnMerchant = {
  merchantId: string;
  name: string;
  category: string;
  visits: number;
  lastVisitAt: Date;
  revealable: boolean;
};

const DEFAULT_WINDOW_DAYS = 30;

/** Read queries of the caller's own data: their merchants and the export. */
export function createMeRepository(db: Kysely<Database>) {
  return {
    /** `windowDays` of the active weight set (the newest activation); 30 when none is active. */
    async activeWindowDays(): Promise<number> {
      const row = await db
        .selectFrom('weight_set_activations as a')
        .innerJoin('weight_sets as w', 'w.id', 'a.weight_set_id')
        .select(sql<number | null>`(w.params ->> 'windowDays')::int`.as('window_days'))
        .orderBy('a.id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row?.window_days ?? DEFAULT_WINDOW_DAYS;
    },

    /**
     * The user's merchants since local midnight of `fromDate` in `timeZone`, with visit counts,
     * and whether each passes k-anonymity: at least `kAnon` distinct users with a current
     * `transactions` consent bought there in the same window. One query for the whole list.
     */
    async merchantsSince(
      userId: string,
      fromDate: string,
      timeZone: string,
      kAnon: number,
    ): Promise<OwnMerchant[]> {
      const { rows } = await sql<{
        external_id: string;
        name: string;
        category: string;
        visits: number;
        last_visit_at: Date;
        revealable: boolean;
      }>`
        WITH bounds AS (
          SELECT (${fromDate}::date::timestamp AT TIME ZONE ${timeZone}) AS since
        ),
        mine AS (
          SELECT t.merchant_id, count(*)::int AS visits, max(t.occurred_at) AS last_visit_at
          FROM transactions t, bounds
          WHERE t.user_id = ${userId} AND t.occurred_at >= bounds.since
          GROUP BY t.merchant_id
        ),
        buyers AS (
          SELECT DISTINCT t.merchant_id, t.user_id
          FROM transactions t, bounds
          WHERE t.merchant_id IN (SELECT merchant_id FROM mine) AND t.occurred_at >= bounds.since
        ),
        consenting AS (
          SELECT b.merchant_id, count(*)::int AS users
          FROM buyers b
          WHERE (
            SELECT ce.action FROM consent_events ce
            WHERE ce.user_id = b.user_id AND ce.purpose = 'transactions'
            ORDER BY ce.id DESC LIMIT 1
          ) = 'grant'
          GROUP BY b.merchant_id
        )
        SELECT m.external_id, m.name, m.category, mine.visits, mine.last_visit_at,
               coalesce(c.users, 0) >= ${kAnon} AS revealable
        FROM mine
        JOIN merchants m ON m.id = mine.merchant_id
        LEFT JOIN consenting c ON c.merchant_id = mine.merchant_id
        ORDER BY mine.visits DESC, mine.last_visit_at DESC, m.external_id
      `.execute(db);
      return rows.map((row) => ({
        merchantId: row.external_id,
        name: row.name,
        category: row.category,
        visits: row.visits,
        lastVisitAt: row.last_visit_at,
        revealable: row.revealable,
      }));
    },

    async transactions(userId: string) {
      const rows = await db
        .selectFrom('transactions as t')
        .innerJoin('merchants as m', 'm.id', 't.merchant_id')
        .select([
          't.transaction_id',
          'm.external_id as merchant_id',
          'm.name as merchant_name',
          'm.category',
          't.amount_cents',
          't.currency',
          't.occurred_at',
          't.received_at',
        ])
        .where('t.user_id', '=', userId)
        .orderBy('t.occurred_at')
        .orderBy('t.transaction_id')
        .execute();
      return rows.map((row) => ({
        transactionId: row.transaction_id,
        merchantId: row.merchant_id,
        merchantName: row.merchant_name,
        category: row.category,
        amountCents: Number(row.amount_cents),
        currency: row.currency,
        occurredAt: row.occurred_at,
        receivedAt: row.received_at,
      }));
    },

    async reveals(userId: string) {
      const rows = await db
        .selectFrom('reveals as r')
        .innerJoin('merchants as m', 'm.id', 'r.merchant_id')
        .select(['m.external_id', 'm.name', 'm.category', 'r.created_at'])
        .where('r.user_id', '=', userId)
        .orderBy('r.created_at')
        .execute();
      return rows.map((row) => ({
        merchantId: row.external_id,
        name: row.name,
        category: row.category,
        revealedAt: row.created_at,
      }));
    },

    /** The user's own cards; the counterpart is never named, by internal or external id. */
    async matches(userId: string) {
      const rows = await db
        .selectFrom('matches')
        .select([
          'match_id',
          'match_date',
          'alias',
          'score',
          'shared_bucket',
          'top_categories',
          'crossed_paths',
          'ended_at',
          'ended_reason',
          'created_at',
        ])
        .where('user_id', '=', userId)
        .orderBy('match_date')
        .execute();
      return rows.map((row) => ({
        matchId: row.match_id,
        matchDate: row.match_date,
        alias: row.alias,
        score: row.score,
        sharedMerchantCount: row.shared_bucket,
        topSharedCategories: row.top_categories,
        crossedPaths: row.crossed_paths,
        endedAt: row.ended_at,
        endedReason: row.ended_reason,
        createdAt: row.created_at,
      }));
    },

    async decisions(userId: string) {
      const rows = await db
        .selectFrom('decisions')
        .select(['match_id', 'decision', 'decided_at'])
        .where('user_id', '=', userId)
        .orderBy('decided_at')
        .execute();
      return rows.map((row) => ({
        matchId: row.match_id,
        decision: row.decision,
        decidedAt: row.decided_at,
      }));
    },

    async guesses(userId: string) {
      const rows = await db
        .selectFrom('guesses as g')
        .innerJoin('merchants as m', 'm.id', 'g.merchant_id')
        .select(['g.match_id', 'm.external_id', 'm.name', 'm.category', 'g.correct', 'g.created_at'])
        .where('g.user_id', '=', userId)
        .orderBy('g.id')
        .execute();
      return rows.map((row) => ({
        matchId: row.match_id,
        merchantId: row.external_id,
        merchantName: row.name,
        category: row.category,
        correct: row.correct,
        guessedAt: row.created_at,
      }));
    },

    /** Blocks the user made: when, never whom. */
    async blocksMade(userId: string) {
      const rows = await db
        .selectFrom('blocks')
        .select('created_at')
        .where('blocker_id', '=', userId)
        .orderBy('created_at')
        .execute();
      return rows.map((row) => ({ blockedAt: row.created_at }));
    },

    /** Reports the user made: the match (their own card's id), reason and note, never whom. */
    async reportsMade(userId: string) {
      const rows = await db
        .selectFrom('reports')
        .select(['match_id', 'reason', 'note', 'created_at'])
        .where('reporter_id', '=', userId)
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        matchId: row.match_id,
        reason: row.reason,
        note: row.note,
        reportedAt: row.created_at,
      }));
    },

    /** The size of the user's candidate pool per run date, never who is in it. */
    async candidatePools(userId: string) {
      const rows = await db
        .selectFrom('candidates as c')
        .innerJoin('scoring_runs as r', 'r.id', 'c.run_id')
        .select(['r.business_date', sql<number>`cardinality(c.candidate_ids)`.as('size')])
        .where('c.user_id', '=', userId)
        .orderBy('r.business_date')
        .execute();
      return rows.map((row) => ({ runDate: row.business_date, candidates: row.size }));
    },
  };
}

export type MeRepository = ReturnType<typeof createMeRepository>;
