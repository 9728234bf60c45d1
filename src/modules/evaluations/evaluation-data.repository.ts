import { sql } from 'kysely';
import type pg from 'pg';
import type { Db } from '../../db/database.ts';
import { copyOutLines, inTransaction } from '../pipeline/copy.ts';
import { parseSnapshotUserLine, type CityUser, type RunMerchants } from '../pipeline/pipeline.repository.ts';

/**
 * What an evaluation reads from the current data. The snapshot is the nightly prepare's, computed
 * the same way (same eligibility, same one-pass aggregation of the window, same dense merchant
 * index by merchant id and global df) but into temporary tables of its own transaction, which
 * vanish at commit: an evaluation writes no run, candidate or match. Only the evaluation job
 * reads these rows, and only aggregates leave it.
 */

export type SnapshotParams = {
  windowStart: Date;
  windowEnd: Date;
  minAmountCents: number;
  /** Age is year(date) − birth year, as in a run. */
  year: number;
};

export type Snapshot = { users: CityUser[]; merchants: RunMerchants };

/** A past shown match that has decisions: its two users, how many decided and how many liked. */
export type DecidedMatch = { userA: string; userB: string; decisions: number; likes: number };

/** work_mem of the snapshot transaction, as the nightly prepare sets it (its sorts stay in memory). */
const SNAPSHOT_WORK_MEM_MB = 256;

export function createEvaluationDataRepository(db: Db, pool: pg.Pool) {
  return {
    /** Eligible users now, with their features over the window (prepare's snapshot, in memory). */
    async snapshot(p: SnapshotParams): Promise<Snapshot> {
      return inTransaction(pool, async (client) => {
        await client.query(`CREATE TEMP TABLE eval_users (
            user_id bigint PRIMARY KEY, city text, gender text, seeking text[], age smallint, age_min smallint,
            age_max smallint, verified boolean, only_verified boolean) ON COMMIT DROP`);
        await client.query(`CREATE TEMP TABLE eval_merchants (idx integer, merchant_id bigint, category text,
            df integer) ON COMMIT DROP`);
        await client.query(`CREATE TEMP TABLE eval_features (user_id bigint, merchant_idx integer[],
            visits integer[], last_days smallint[], visit_minutes integer[], amount_cents bigint,
            txn_count integer) ON COMMIT DROP`);
        await client.query(
          `WITH latest AS (
             SELECT DISTINCT ON (user_id, purpose) user_id, purpose, action
             FROM consent_events ORDER BY user_id, purpose, id DESC
           ), consented AS (
             SELECT user_id FROM latest GROUP BY user_id
             HAVING count(*) FILTER (WHERE action = 'grant') = 2
           )
           INSERT INTO eval_users
           SELECT u.id, p.city, p.gender, p.seeking, ($1 - p.birth_year)::smallint, p.age_min, p.age_max,
                  u.verified, p.only_verified
           FROM users u JOIN profiles p ON p.user_id = u.id JOIN consented c ON c.user_id = u.id
           WHERE u.suspended_at IS NULL`,
          [p.year],
        );
        await client.query('ANALYZE eval_users');
        await client.query('SET LOCAL enable_nestloop = off');
        await client.query(`SET LOCAL work_mem = '${String(SNAPSHOT_WORK_MEM_MB)}MB'`);
        await client.query(
          `WITH tx AS (
             SELECT t.user_id, t.merchant_id, t.amount_cents,
                    floor(date_part('epoch', t.occurred_at - $1::timestamptz) / 60)::int AS minute
             FROM transactions t
             JOIN eval_users eu ON eu.user_id = t.user_id
             WHERE t.occurred_at >= $1 AND t.occurred_at < $2 AND t.amount_cents >= $3
             ORDER BY t.user_id, t.merchant_id, minute
           ), um AS (
             SELECT user_id, merchant_id, count(*)::int AS visits, (max(minute) / 1440)::smallint AS last_day,
                    sum(amount_cents) AS amount, array_agg(minute) AS minutes
             FROM tx GROUP BY user_id, merchant_id
           ), mi AS (
             SELECT merchant_id, (row_number() OVER (ORDER BY merchant_id) - 1)::int AS idx, count(*)::int AS df
             FROM um GROUP BY merchant_id
           ), m AS (
             INSERT INTO eval_merchants (idx, merchant_id, category, df)
             SELECT mi.idx, mi.merchant_id, mm.category, mi.df FROM mi JOIN merchants mm ON mm.id = mi.merchant_id
           )
           INSERT INTO eval_features (user_id, merchant_idx, visits, last_days, visit_minutes, amount_cents, txn_count)
           SELECT user_id, array_agg(idx), array_agg(visits), array_agg(last_day), array_cat_agg(minutes),
                  sum(amount)::bigint, sum(visits)::int
           FROM (SELECT um.*, mi.idx FROM um JOIN mi ON mi.merchant_id = um.merchant_id ORDER BY um.user_id, mi.idx) x
           GROUP BY user_id`,
          [p.windowStart, p.windowEnd, p.minAmountCents],
        );
        const merchantRows = await client.query<{ merchant_id: string; category: string; df: number }>(
          'SELECT merchant_id, category, df FROM eval_merchants ORDER BY idx',
        );
        const users: CityUser[] = [];
        await copyOutLines(
          client,
          `SELECT eu.user_id, eu.city, 0 AS shard, eu.gender, eu.seeking, eu.age, eu.age_min, eu.age_max, eu.verified,
                  eu.only_verified, coalesce(f.merchant_idx, '{}'), coalesce(f.visits, '{}'),
                  coalesce(f.last_days, '{}'), coalesce(f.visit_minutes, '{}'), coalesce(f.amount_cents, 0),
                  coalesce(f.txn_count, 0)
           FROM eval_users eu LEFT JOIN eval_features f ON f.user_id = eu.user_id
           ORDER BY eu.user_id`,
          (line) => users.push(parseSnapshotUserLine(line)),
        );
        const df = Int32Array.from(merchantRows.rows, (r) => r.df);
        return {
          users,
          merchants: {
            merchantIds: merchantRows.rows.map((r) => r.merchant_id),
            categories: merchantRows.rows.map((r) => r.category),
            df,
          },
        };
      });
    },

    /** Every block relation (blocker, blocked). */
    async blocks(): Promise<Array<[string, string]>> {
      const rows = await sql<{ a: string; b: string }>`
        SELECT blocker_id AS a, blocked_id AS b FROM blocks`.execute(db);
      return rows.rows.map((r) => [r.a, r.b]);
    },

    /** Pairs matched on a date in [from, to), once each, with the date (for per-set cooldowns). */
    async matchedPairs(from: string, to: string): Promise<Array<{ a: string; b: string; date: string }>> {
      const rows = await sql<{ a: string; b: string; date: string }>`
        SELECT user_id AS a, counterpart_id AS b, to_char(match_date, 'YYYY-MM-DD') AS date FROM matches
        WHERE match_date >= ${from} AND match_date < ${to} AND user_id < counterpart_id`.execute(db);
      return rows.rows;
    },

    /**
     * The matches dated in `[from, through]` with at least one decision: one row per match, both
     * users' decisions counted. Bounded by date so that an evaluation reads recent outcomes, not
     * the whole history, however long the service has run.
     */
    async decidedMatches(from: string, through: string): Promise<DecidedMatch[]> {
      const rows = await sql<{ a: string; b: string; decisions: number; likes: number }>`
        SELECT m.user_id AS a, m.counterpart_id AS b, count(*)::int AS decisions,
               count(*) FILTER (WHERE d.decision = 'like')::int AS likes
        FROM matches m JOIN decisions d ON d.match_id = m.match_id
        WHERE m.user_id < m.counterpart_id AND m.match_date >= ${from} AND m.match_date <= ${through}
        GROUP BY m.match_id, m.user_id, m.counterpart_id`.execute(db);
      return rows.rows.map((r) => ({ userA: r.a, userB: r.b, decisions: r.decisions, likes: r.likes }));
    },
  };
}

export type EvaluationDataRepository = ReturnType<typeof createEvaluationDataRepository>;
