import type { Kysely } from 'kysely';
import type { ConsentPurpose, Database } from '../../db/types.ts';

export type ConsentEvent = {
  purpose: ConsentPurpose;
  action: 'grant' | 'withdraw';
  policyVersion: string;
  at: Date;
};

/** Queries on the append-only consent ledger. */
export function createConsentsRepository(db: Kysely<Database>) {
  return {
    /** Every event of the user, oldest first. */
    async events(userId: string): Promise<ConsentEvent[]> {
      const rows = await db
        .selectFrom('consent_events')
        .select(['purpose', 'action', 'policy_version', 'at'])
        .where('user_id', '=', userId)
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        purpose: row.purpose,
        action: row.action,
        policyVersion: row.policy_version,
        at: row.at,
      }));
    },

    /** The newest event of one purpose, if any. */
    async latest(userId: string, purpose: ConsentPurpose): Promise<ConsentEvent | undefined> {
      const row = await db
        .selectFrom('consent_events')
        .select(['purpose', 'action', 'policy_version', 'at'])
        .where('user_id', '=', userId)
        .where('purpose', '=', purpose)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return (
        row && { purpose: row.purpose, action: row.action, policyVersion: row.policy_version, at: row.at }
      );
    },

    async append(userId: string, event: ConsentEvent): Promise<void> {
      await db
        .insertInto('consent_events')
        .values({
          user_id: userId,
          purpose: event.purpose,
          action: event.action,
          policy_version: event.policyVersion,
          at: event.at,
        })
        .execute();
    },
  };
}

export type ConsentsRepository = ReturnType<typeof createConsentsRepository>;
