import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

export type ConnectionRow = {
  matchId: string;
  matchDate: string;
  userId: string;
  counterpartId: string;
  counterpartExternalId: string;
  myContactHandle: string;
  theirContactHandle: string;
  connectedAt: Date;
};

/** Mutual likes: the only query that reads another user's contact handle. */
export function createConnectionsRepository(db: Kysely<Database>) {
  return {
    /**
     * The user's matches both sides liked, newest first, unless either blocked the other since
     * (a block or a report withdraws the handles) or either has no profile any more.
     */
    async list(userId: string): Promise<ConnectionRow[]> {
      const { rows } = await sql<{
        match_id: string;
        match_date: string;
        user_id: string;
        counterpart_id: string;
        counterpart_external_id: string;
        my_contact_handle: string;
        their_contact_handle: string;
        connected_at: Date;
      }>`
        SELECT m.match_id, m.match_date::text AS match_date, m.user_id, m.counterpart_id,
          cu.external_id AS counterpart_external_id,
          mine.contact_handle AS my_contact_handle, theirs.contact_handle AS their_contact_handle,
          greatest(dm.decided_at, dt.decided_at) AS connected_at
        FROM matches m
        JOIN decisions dm ON dm.match_id = m.match_id AND dm.user_id = m.user_id AND dm.decision = 'like'
        JOIN decisions dt ON dt.match_id = m.match_id AND dt.user_id = m.counterpart_id AND dt.decision = 'like'
        JOIN users cu ON cu.id = m.counterpart_id
        JOIN profiles mine ON mine.user_id = m.user_id
        JOIN profiles theirs ON theirs.user_id = m.counterpart_id
        WHERE m.user_id = ${userId}
          AND NOT EXISTS (
            SELECT 1 FROM blocks b
            WHERE (b.blocker_id = m.user_id AND b.blocked_id = m.counterpart_id)
               OR (b.blocker_id = m.counterpart_id AND b.blocked_id = m.user_id))
        ORDER BY connected_at DESC, m.match_id
      `.execute(db);
      return rows.map((row) => ({
        matchId: row.match_id,
        matchDate: row.match_date,
        userId: row.user_id,
        counterpartId: row.counterpart_id,
        counterpartExternalId: row.counterpart_external_id,
        myContactHandle: row.my_contact_handle,
        theirContactHandle: row.their_contact_handle,
        connectedAt: row.connected_at,
      }));
    },
  };
}

export type ConnectionsRepository = ReturnType<typeof createConnectionsRepository>;
