import { sql, type Kysely } from 'kysely';
import type { Database, MatchesTable } from '../../db/types.ts';

type EndReason = NonNullable<MatchesTable['ended_reason']>;

/**
 * The tables holding candidate pools as parallel arrays, `candidate_ids` first: published pools
 * and the shard pools a run keeps between its score and pair stages.
 */
const POOL_TABLES: ReadonlyArray<readonly [string, readonly string[]]> = [
  [
    'candidates',
    ['candidate_ids', 'scores', 'overlap_scores', 'co_presences', 'spend_levels', 'shared_counts'],
  ],
  ['run_pools', ['candidate_ids', 'overlap_scores', 'co_presences', 'shared_counts']],
];

/**
 * Rewrites every pool of `table` that holds `userId`: each array column (`columns`, the first
 * being `candidate_ids`) loses the element at the user's position, so the arrays stay aligned.
 * Table and column names are the constants above, never input.
 */
function withoutCandidate(table: string, columns: readonly string[], userId: string) {
  const element = (i: number) => sql.raw(`e${String(i)}`);
  const assignments = sql.join(
    columns.map((c) => sql`${sql.ref(c)} = k.${sql.ref(c)}`),
    sql`, `,
  );
  const kept = sql.join(
    columns.map(
      (c, i) =>
        sql`coalesce(array_agg(${element(i)} ORDER BY e.ord) FILTER (WHERE e.e0 <> ${userId}::bigint), '{}') AS ${sql.ref(c)}`,
    ),
    sql`, `,
  );
  const arrays = sql.join(
    columns.map((c) => sql`p.${sql.ref(c)}`),
    sql`, `,
  );
  const aliases = sql.join([...columns.map((_, i) => element(i)), sql.raw('ord')], sql`, `);
  return sql`
    UPDATE ${sql.table(table)} c SET ${assignments}
    FROM (
      SELECT p.run_id, p.user_id, ${kept}
      FROM ${sql.table(table)} p
      CROSS JOIN LATERAL unnest(${arrays}) WITH ORDINALITY AS e(${aliases})
      WHERE p.candidate_ids @> ARRAY[${userId}::bigint]
      GROUP BY p.run_id, p.user_id
    ) k
    WHERE c.run_id = k.run_id AND c.user_id = k.user_id`;
}

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
      let changed = 0;
      for (const [table, columns] of POOL_TABLES) {
        const result = await withoutCandidate(table, columns, userId).execute(db);
        changed += Number(result.numAffectedRows ?? 0n);
      }
      return changed;
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
