import { sql, type Kysely } from 'kysely';
import type { Database, MatchesTable } from '../../db/types.ts';

type EndReason = NonNullable<MatchesTable['ended_reason']>;

/**
 * The deletions behind a consent withdrawal and an erasure, one statement per table. Each returns
 * how many rows it touched, so that the caller can answer the counts and audit them. Run them in
 * one database transaction with the user row locked.
 */
export function createUserDataRepository(db: Kysely<Database>) {
  return {
    async deleteTransactions(userId: string): Promise<number> {
      const result = await db.deleteFrom('transactions').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * The user's own candidate pools, every run. (Their shard pools, `run_pools`, go with their
     * run membership: {@link deleteRunMembership} cascades to them.)
     */
    async deleteOwnCandidates(userId: string): Promise<number> {
      const result = await db.deleteFrom('candidates').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * Takes the user out of every other user's candidate pool, published or kept by a run between
     * its stages, dropping the same position from all parallel arrays so that they stay aligned.
     * Returns the number of pools changed.
     */
    async removeFromCandidatePools(userId: string): Promise<number> {
      const result = await sql`
        UPDATE candidates c
        SET candidate_ids  = k.candidate_ids,
            scores         = k.scores,
            overlap_scores = k.overlap_scores,
            co_presences   = k.co_presences,
            spend_levels   = k.spend_levels,
            shared_counts  = k.shared_counts
        FROM (
          SELECT p.run_id, p.user_id,
            coalesce(array_agg(e.candidate_id ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS candidate_ids,
            coalesce(array_agg(e.score ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS scores,
            coalesce(array_agg(e.overlap ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS overlap_scores,
            coalesce(array_agg(e.co_presence ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS co_presences,
            coalesce(array_agg(e.spend_level ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS spend_levels,
            coalesce(array_agg(e.shared ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS shared_counts
          FROM candidates p
          CROSS JOIN LATERAL unnest(p.candidate_ids, p.scores, p.overlap_scores, p.co_presences, p.spend_levels, p.shared_counts)
            WITH ORDINALITY AS e(candidate_id, score, overlap, co_presence, spend_level, shared, ord)
          WHERE p.candidate_ids @> ARRAY[${userId}::bigint]
          GROUP BY p.run_id, p.user_id
        ) k
        WHERE c.run_id = k.run_id AND c.user_id = k.user_id
      `.execute(db);
      // the same for the shard pools a run keeps between score and pair (four parallel arrays)
      const shardPools = await sql`
        UPDATE run_pools c
        SET candidate_ids  = k.candidate_ids,
            overlap_scores = k.overlap_scores,
            co_presences   = k.co_presences,
            shared_counts  = k.shared_counts
        FROM (
          SELECT p.run_id, p.user_id,
            coalesce(array_agg(e.candidate_id ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS candidate_ids,
            coalesce(array_agg(e.overlap ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS overlap_scores,
            coalesce(array_agg(e.co_presence ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS co_presences,
            coalesce(array_agg(e.shared ORDER BY e.ord) FILTER (WHERE e.candidate_id <> ${userId}::bigint), '{}') AS shared_counts
          FROM run_pools p
          CROSS JOIN LATERAL unnest(p.candidate_ids, p.overlap_scores, p.co_presences, p.shared_counts)
            WITH ORDINALITY AS e(candidate_id, overlap, co_presence, shared, ord)
          WHERE p.candidate_ids @> ARRAY[${userId}::bigint]
          GROUP BY p.run_id, p.user_id
        ) k
        WHERE c.run_id = k.run_id AND c.user_id = k.user_id
      `.execute(db);
      return Number(result.numAffectedRows ?? 0n) + Number(shardPools.numAffectedRows ?? 0n);
    },

    /** The user's per-run features (aggregated from their transactions). */
    async deleteRunFeatures(userId: string): Promise<number> {
      const result = await sql`DELETE FROM run_features WHERE user_id = ${userId}`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /**
     * Takes the user out of runs still in flight: their eligibility snapshots and the pairs they
     * are in, so that a pairing or a publish that has not happened yet cannot include them.
     */
    async deleteRunMembership(userId: string): Promise<{ snapshots: number; pairs: number }> {
      const pairs = await sql`DELETE FROM run_pairs WHERE user_a = ${userId} OR user_b = ${userId}`.execute(
        db,
      );
      const snapshots = await sql`DELETE FROM run_users WHERE user_id = ${userId}`.execute(db);
      return {
        snapshots: Number(snapshots.numAffectedRows ?? 0n),
        pairs: Number(pairs.numAffectedRows ?? 0n),
      };
    },

    async deleteReveals(userId: string): Promise<number> {
      const result = await db.deleteFrom('reveals').where('user_id', '=', userId).executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * Guesses in every match the user took part in, both sides': a counterpart's correct guess
     * says where this user bought, so it is derived from this user's transactions.
     */
    async deleteGuessesOfMatches(userId: string): Promise<number> {
      const result = await db
        .deleteFrom('guesses')
        .where((eb) =>
          eb.or([
            eb('user_id', '=', userId),
            eb('match_id', 'in', eb.selectFrom('matches').select('match_id').where('user_id', '=', userId)),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /** Decisions of both sides in the user's matches (the matches themselves go with the user). */
    async deleteDecisionsOfMatches(userId: string): Promise<number> {
      const result = await db
        .deleteFrom('decisions')
        .where((eb) =>
          eb.or([
            eb('user_id', '=', userId),
            eb('match_id', 'in', eb.selectFrom('matches').select('match_id').where('user_id', '=', userId)),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * Ends the user's open matches dated `fromDate` or later, and the counterpart's row of each
     * (both rows share `match_id`). Matches already ended keep their reason. Returns the number of
     * matches (pairs) ended.
     */
    async endMatchesFrom(userId: string, fromDate: string, reason: EndReason, at: Date): Promise<number> {
      const rows = await db
        .updateTable('matches')
        .set({ ended_at: at, ended_reason: reason })
        .where(
          'match_id',
          'in',
          db
            .selectFrom('matches')
            .select('match_id')
            .where('user_id', '=', userId)
            .where('match_date', '>=', fromDate),
        )
        .where('ended_at', 'is', null)
        .returning('match_id')
        .execute();
      return new Set(rows.map((row) => row.match_id)).size;
    },
  };
}

export type UserDataRepository = ReturnType<typeof createUserDataRepository>;
