import { sql } from 'kysely';
import type { Db } from '../../db/database.ts';
import type { MerchantInput } from './merchants.schemas.ts';

export type UpsertCounts = { created: number; updated: number };

export function createMerchantRepository(db: Db) {
  return {
    /**
     * Upserts a batch by platform id in one statement (`unnest` arrays, `ON CONFLICT DO UPDATE`).
     * A row whose fields are all equal to the stored ones is not rewritten (no dead tuple, no
     * `updated_at` change). The ids must be distinct within the batch.
     */
    async upsertMany(merchants: readonly MerchantInput[]): Promise<UpsertCounts> {
      const ids = merchants.map((m) => m.merchantId);
      const names = merchants.map((m) => m.name);
      const categories = merchants.map((m) => m.category);
      const cities = merchants.map((m) => m.city ?? null);
      const lats = merchants.map((m) => m.lat ?? null);
      const lngs = merchants.map((m) => m.lng ?? null);
      const { rows } = await sql<{ created: number; updated: number }>`
        WITH upserted AS (
          INSERT INTO merchants (external_id, name, category, city, lat, lng)
          SELECT * FROM unnest(${ids}::text[], ${names}::text[], ${categories}::text[], ${cities}::text[],
                               ${lats}::float8[], ${lngs}::float8[]) AS t(external_id, name, category, city, lat, lng)
          -- One lock order for every batch: concurrent upserts of the same merchants never deadlock.
          ORDER BY external_id COLLATE "C"
          ON CONFLICT (external_id) DO UPDATE
            SET name = excluded.name, category = excluded.category, city = excluded.city,
                lat = excluded.lat, lng = excluded.lng, updated_at = now()
            WHERE (merchants.name, merchants.category, merchants.city, merchants.lat, merchants.lng)
                  IS DISTINCT FROM (excluded.name, excluded.category, excluded.city, excluded.lat, excluded.lng)
          RETURNING (xmax = 0) AS created
        )
        SELECT (count(*) FILTER (WHERE created))::int AS created,
               (count(*) FILTER (WHERE NOT created))::int AS updated
        FROM upserted
      `.execute(db);
      return rows[0] ?? { created: 0, updated: 0 };
    },
  };
}

export type MerchantRepository = ReturnType<typeof createMerchantRepository>;
