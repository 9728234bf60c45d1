import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

/** One day's run figures (counts only). */
export type DayRun = {
  date: string;
  status: string;
  eligibleUsers: number | null;
  pairedUsers: number | null;
};

/** One score bucket of one day: counts over the users shown a match that day. */
export type BucketCounts = {
  date: string;
  bucket: number;
  buckets: number;
  users: number;
  likes: number;
  mutual: number;
  minScore: number;
  maxScore: number;
};

/** One day's totals over the users shown a match. */
export type DayCounts = { date: string; users: number; likes: number; mutual: number };

/** Aggregate queries over runs, matches and decisions: every row returned is a count over users. */
export function createMetricsRepository(db: Kysely<Database>) {
  return {
    async runs(from: string, to: string): Promise<DayRun[]> {
      const rows = await db
        .selectFrom('scoring_runs')
        .select(['business_date', 'status', 'eligible_users', 'paired_users'])
        .where('business_date', '>=', from)
        .where('business_date', '<=', to)
        .orderBy('business_date')
        .execute();
      return rows.map((r) => ({
        date: r.business_date,
        status: r.status,
        eligibleUsers: r.eligible_users,
        pairedUsers: r.paired_users,
      }));
    },

    /**
     * Per day, the shown matches split into score quantile buckets of at least `k` users each:
     * `least(10, floor(n / k))` buckets of equal size (±1) in score order, so a day with fewer
     * than `k` matched users has no bucket at all. A row is liked when its user liked; mutual when
     * both sides of its match did.
     */
    async buckets(
      from: string,
      to: string,
      k: number,
    ): Promise<{ days: DayCounts[]; buckets: BucketCounts[] }> {
      const { rows } = await sql<{
        date: string;
        bucket: number | null;
        total: number;
        buckets: number;
        users: string;
        likes: string;
        mutual: string;
        min_score: number;
        max_score: number;
      }>`
        WITH shown AS (
          SELECT m.match_date, m.score,
                 EXISTS (SELECT 1 FROM decisions d
                          WHERE d.match_id = m.match_id AND d.user_id = m.user_id AND d.decision = 'like') AS liked,
                 (SELECT count(*) FROM decisions d
                   WHERE d.match_id = m.match_id AND d.decision = 'like') = 2 AS mutual
            FROM matches m
           WHERE m.match_date BETWEEN ${from}::date AND ${to}::date
        ),
        ranked AS (
          SELECT match_date, score, liked, mutual,
                 row_number() OVER (PARTITION BY match_date ORDER BY score, liked, mutual) - 1 AS position,
                 count(*) OVER (PARTITION BY match_date) AS n
            FROM shown
        ),
        bucketed AS (
          SELECT match_date, score, liked, mutual,
                 least(10, n / ${k}::bigint)::int AS buckets,
                 CASE WHEN n >= ${k}::bigint
                      THEN (position * least(10, n / ${k}::bigint) / n)::int END AS bucket
            FROM ranked
        )
        SELECT to_char(match_date, 'YYYY-MM-DD') AS date, bucket, buckets, GROUPING(bucket) AS total,
               count(*) AS users, count(*) FILTER (WHERE liked) AS likes, count(*) FILTER (WHERE mutual) AS mutual,
               min(score) AS min_score, max(score) AS max_score
          FROM bucketed
         GROUP BY GROUPING SETS ((match_date, bucket, buckets), (match_date, buckets))
         ORDER BY match_date, bucket NULLS FIRST
      `.execute(db);
      const days: DayCounts[] = [];
      const buckets: BucketCounts[] = [];
      for (const r of rows) {
        const counts = {
          date: r.date,
          users: Number(r.users),
          likes: Number(r.likes),
          mutual: Number(r.mutual),
        };
        // GROUPING(bucket) = 1 marks the day's total; a NULL bucket otherwise is a day under k.
        if (r.total === 1) days.push(counts);
        else if (r.bucket !== null) {
          buckets.push({
            ...counts,
            bucket: r.bucket,
            buckets: r.buckets,
            minScore: r.min_score,
            maxScore: r.max_score,
          });
        }
      }
      return { days, buckets };
    },
  };
}

export type MetricsRepository = ReturnType<typeof createMetricsRepository>;
