import { sql, type Kysely } from 'kysely';
import type { ConsentPurpose, Database } from '../../db/types.ts';

/** A user as the services see it: the internal id stays inside the server. */
export type User = {
  id: string;
  externalId: string;
  verified: boolean;
  trusted: boolean;
  suspendedAt: Date | null;
  createdAt: Date;
};

/** The latest grant of a purpose that has not been withdrawn since. */
export type CurrentConsent = { userId: string; policyVersion: string; grantedAt: Date };

const toUser = (row: {
  id: string;
  external_id: string;
  verified: boolean;
  trusted: boolean;
  suspended_at: Date | null;
  created_at: Date;
}): User => ({
  id: row.id,
  externalId: row.external_id,
  verified: row.verified,
  trusted: row.trusted,
  suspendedAt: row.suspended_at,
  createdAt: row.created_at,
});

/**
 * Queries on `users` and the consent ledger's current state. Takes a Kysely instance or a
 * transaction, so a service can run several repositories inside one database transaction.
 */
export function createUsersRepository(db: Kysely<Database>) {
  return {
    async findByExternalId(externalId: string): Promise<User | undefined> {
      const row = await db
        .selectFrom('users')
        .select(['id', 'external_id', 'verified', 'trusted', 'suspended_at', 'created_at'])
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row && toUser(row);
    },

    /** Internal ids of the users among `externalIds` that exist, keyed by external id. */
    async findIdsByExternalIds(externalIds: readonly string[]): Promise<Map<string, string>> {
      if (externalIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('users')
        .select(['id', 'external_id'])
        .where('external_id', '=', sql<string>`any(${[...new Set(externalIds)]}::text[])`)
        .execute();
      return new Map(rows.map((row) => [row.external_id, row.id]));
    },

    /** The internal id for an external id, creating the user row when it is missing. */
    async upsertByExternalId(externalId: string): Promise<string> {
      const ids = await this.upsertManyByExternalIds([externalId]);
      const id = ids.get(externalId);
      if (id === undefined) throw new Error('user upsert returned no id');
      return id;
    },

    /**
     * Internal ids for many external ids, creating the missing users. Concurrency-safe: a row
     * another transaction inserted between the insert and the select is found by the select.
     */
    async upsertManyByExternalIds(externalIds: readonly string[]): Promise<Map<string, string>> {
      const unique = [...new Set(externalIds)].sort();
      if (unique.length === 0) return new Map();
      await db
        .insertInto('users')
        .columns(['external_id'])
        .expression((eb) =>
          eb.selectFrom(sql`unnest(${unique}::text[])`.as('u')).select(sql<string>`u`.as('external_id')),
        )
        .onConflict((oc) => oc.column('external_id').doNothing())
        .execute();
      return this.findIdsByExternalIds(unique);
    },

    /**
     * Current consent for one purpose, for a batch of internal user ids: a user is present when
     * the newest event of that purpose is a grant. One query whatever the batch size.
     */
    async currentConsents(
      userIds: readonly string[],
      purpose: ConsentPurpose,
    ): Promise<Map<string, CurrentConsent>> {
      if (userIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('consent_events')
        .distinctOn('user_id')
        .select(['user_id', 'action', 'policy_version', 'at'])
        .where('user_id', '=', sql<string>`any(${[...new Set(userIds)]}::bigint[])`)
        .where('purpose', '=', purpose)
        .orderBy('user_id')
        .orderBy('id', 'desc')
        .execute();
      return new Map(
        rows
          .filter((row) => row.action === 'grant')
          .map((row) => [
            row.user_id,
            { userId: row.user_id, policyVersion: row.policy_version, grantedAt: row.at },
          ]),
      );
    },

    /**
     * Locks the user row until the end of the transaction: consent changes, withdrawal and erasure
     * of one user run one at a time. Ingest takes `lockShare` on the same rows, so a transaction
     * is never stored after the withdrawal that should have refused it.
     */
    async lockForUpdate(userId: string): Promise<void> {
      await db.selectFrom('users').select('id').where('id', '=', userId).forUpdate().execute();
    },

    /** Share-locks user rows (in id order, so that concurrent batches cannot deadlock). */
    async lockShare(userIds: readonly string[]): Promise<void> {
      if (userIds.length === 0) return;
      await db
        .selectFrom('users')
        .select('id')
        .where('id', '=', sql<string>`any(${[...new Set(userIds)]}::bigint[])`)
        .orderBy('id')
        .forShare()
        .execute();
    },

    /**
     * Share-locks the rows of these external ids (those that exist), in id order. Ingest takes it
     * in its transaction before the statement that reads consent: a withdrawal holding the row
     * then makes ingest wait, and ingest's next statement sees the withdrawal.
     */
    async lockShareByExternalIds(externalIds: readonly string[]): Promise<void> {
      if (externalIds.length === 0) return;
      await db
        .selectFrom('users')
        .select('id')
        .where('external_id', '=', sql<string>`any(${[...new Set(externalIds)]}::text[])`)
        .orderBy('id')
        .forShare()
        .execute();
    },

    /** Deletes the user row; the foreign keys cascade to every table keyed by the user. */
    async deleteById(userId: string): Promise<boolean> {
      const result = await db.deleteFrom('users').where('id', '=', userId).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
