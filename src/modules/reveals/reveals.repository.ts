import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

export type StoredReveal = {
  merchantId: string;
  name: string;
  category: string;
  revealedAt: Date;
};

/** Queries on `reveals` and the merchant lookups they need. */
export function createRevealsRepository(db: Kysely<Database>) {
  return {
    /** The user's reveals, oldest first (the order they show on cards). */
    async list(userId: string): Promise<StoredReveal[]> {
      const rows = await db
        .selectFrom('reveals as r')
        .innerJoin('merchants as m', 'm.id', 'r.merchant_id')
        .select(['m.external_id', 'm.name', 'm.category', 'r.created_at'])
        .where('r.user_id', '=', userId)
        .orderBy('r.created_at')
        .orderBy('m.external_id')
        .execute();
      return rows.map((row) => ({
        merchantId: row.external_id,
        name: row.name,
        category: row.category,
        revealedAt: row.created_at,
      }));
    },

    /** Internal ids of the merchants among `externalIds` that exist, keyed by external id. */
    async merchantIds(externalIds: readonly string[]): Promise<Map<string, string>> {
      if (externalIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('merchants')
        .select(['id', 'external_id'])
        .where('external_id', '=', sql<string>`any(${[...new Set(externalIds)]}::text[])`)
        .execute();
      return new Map(rows.map((row) => [row.external_id, row.id]));
    },

    /** Replaces the user's reveals with `merchantIds` (internal ids), dated in that order. */
    async replace(userId: string, merchantIds: readonly string[], at: Date): Promise<void> {
      await db.deleteFrom('reveals').where('user_id', '=', userId).execute();
      if (merchantIds.length === 0) return;
      await db
        .insertInto('reveals')
        .values(
          // One millisecond apart: the dates keep the chosen order on cards.
          merchantIds.map((merchantId, i) => ({
            user_id: userId,
            merchant_id: merchantId,
            created_at: new Date(at.getTime() + i),
          })),
        )
        .execute();
    },
  };
}

export type RevealsRepository = ReturnType<typeof createRevealsRepository>;
