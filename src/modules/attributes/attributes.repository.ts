import type { Db } from '../../db/database.ts';

export type StoredAttributes = { externalId: string; verified: boolean; trusted: boolean };

export function createAttributesRepository(db: Db) {
  return {
    /** Creates the user row when the platform sends flags before the user signs up; sets both flags. */
    async upsert(
      externalId: string,
      flags: { verified: boolean; trusted: boolean },
    ): Promise<StoredAttributes> {
      const row = await db
        .insertInto('users')
        .values({ external_id: externalId, verified: flags.verified, trusted: flags.trusted })
        .onConflict((oc) =>
          oc.column('external_id').doUpdateSet((eb) => ({
            verified: eb.ref('excluded.verified'),
            trusted: eb.ref('excluded.trusted'),
          })),
        )
        .returning(['external_id', 'verified', 'trusted'])
        .executeTakeFirstOrThrow();
      return { externalId: row.external_id, verified: row.verified, trusted: row.trusted };
    },
  };
}

export type AttributesRepository = ReturnType<typeof createAttributesRepository>;
