import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

export const REPORT_REASONS = [
  'spam',
  'harassment',
  'fake_profile',
  'inappropriate',
  'underage',
  'other',
] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];

/** One of the user's matches (any date) as a block or a report targets it. */
export type TargetMatch = { matchId: string; counterpartId: string; counterpartExternalId: string };

/** Queries of blocks, reports, suspension and reinstatement. */
export function createSafetyRepository(db: Kysely<Database>) {
  return {
    async userId(externalId: string): Promise<{ id: string; suspended: boolean } | undefined> {
      const row = await db
        .selectFrom('users')
        .select(['id', 'suspended_at'])
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row && { id: row.id, suspended: row.suspended_at !== null };
    },

    async targetMatch(userId: string, matchId: string): Promise<TargetMatch | undefined> {
      const row = await db
        .selectFrom('matches as m')
        .innerJoin('users as c', 'c.id', 'm.counterpart_id')
        .select(['m.match_id', 'm.counterpart_id', 'c.external_id'])
        .where('m.user_id', '=', userId)
        .where('m.match_id', '=', matchId)
        .executeTakeFirst();
      return (
        row && {
          matchId: row.match_id,
          counterpartId: row.counterpart_id,
          counterpartExternalId: row.external_id,
        }
      );
    },

    /** Blocks `blockedId` for `blockerId`; the pairing reads both directions. Idempotent. */
    async block(blockerId: string, blockedId: string, at: Date): Promise<void> {
      await db
        .insertInto('blocks')
        .values({ blocker_id: blockerId, blocked_id: blockedId, created_at: at })
        .onConflict((oc) => oc.columns(['blocker_id', 'blocked_id']).doNothing())
        .execute();
    },

    /** Ends both rows of a match still open; an ended match keeps its first reason. */
    async endMatch(matchId: string, reason: 'blocked' | 'reported', at: Date): Promise<void> {
      await db
        .updateTable('matches')
        .set({ ended_at: at, ended_reason: reason })
        .where('match_id', '=', matchId)
        .where('ended_at', 'is', null)
        .execute();
    },

    /** Ends every open match of the user, both rows (a suspension takes them out of matching). */
    async endOpenMatchesOf(userId: string, at: Date): Promise<number> {
      const rows = await db
        .updateTable('matches')
        .set({ ended_at: at, ended_reason: 'reported' })
        .where('match_id', 'in', db.selectFrom('matches').select('match_id').where('user_id', '=', userId))
        .where('ended_at', 'is', null)
        .returning('match_id')
        .execute();
      return new Set(rows.map((r) => r.match_id)).size;
    },

    /** Stores a report; false when this reporter already reported this user. */
    async report(report: {
      reporterId: string;
      reportedId: string;
      matchId: string;
      reason: ReportReason;
      note: string | null;
      at: Date;
    }): Promise<boolean> {
      const row = await db
        .insertInto('reports')
        .values({
          reporter_id: report.reporterId,
          reported_id: report.reportedId,
          match_id: report.matchId,
          reason: report.reason,
          note: report.note,
          created_at: report.at,
        })
        .onConflict((oc) => oc.columns(['reporter_id', 'reported_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Locks the user row: reports about one user are counted one at a time. */
    async lockUser(userId: string): Promise<void> {
      await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
    },

    /** Distinct users who reported `userId` since their last reinstatement (ever, if none). */
    async reportersSinceReinstatement(userId: string): Promise<number> {
      const { rows } = await sql<{ n: number }>`
        SELECT count(DISTINCT r.reporter_id)::int AS n
        FROM reports r JOIN users u ON u.id = r.reported_id
        WHERE r.reported_id = ${userId} AND (u.reinstated_at IS NULL OR r.created_at > u.reinstated_at)
      `.execute(db);
      return rows[0]?.n ?? 0;
    },

    /** Suspends from matching; false when already suspended. */
    async suspend(userId: string, at: Date): Promise<boolean> {
      const rows = await db
        .updateTable('users')
        .set({ suspended_at: at })
        .where('id', '=', userId)
        .where('suspended_at', 'is', null)
        .returning('id')
        .execute();
      return rows.length > 0;
    },

    /** Lifts a suspension; false when the user was not suspended. */
    async reinstate(userId: string, at: Date): Promise<boolean> {
      const rows = await db
        .updateTable('users')
        .set({ suspended_at: null, reinstated_at: at })
        .where('id', '=', userId)
        .where('suspended_at', 'is not', null)
        .returning('id')
        .execute();
      return rows.length > 0;
    },
  };
}

export type SafetyRepository = ReturnType<typeof createSafetyRepository>;
