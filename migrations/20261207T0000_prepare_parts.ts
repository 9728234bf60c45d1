import { sql, type Kysely } from 'kysely';

/**
 * Prepare runs in parts, one per hash partition of `transactions` (pipeline prepare.jobs.ts):
 * each part writes its users' feature rows with merchant ids, and its share of every merchant's
 * df, before any part knows the run's dense merchant index. `run_features.merchant_ids` replaces
 * `merchant_idx` (readers map ids to the index of `run_merchants`: the index follows merchant id
 * order, so the arrays stay in index order), and `run_merchant_df` holds the parts' counts,
 * summed into `run_merchants` once every part is done. Rows of earlier runs are converted.
 * Frozen in time: never imports src/.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE run_features ADD COLUMN merchant_ids bigint[];
    UPDATE run_features f SET merchant_ids = ARRAY(
      SELECT rm.merchant_id FROM unnest(f.merchant_idx) WITH ORDINALITY AS x(idx, ord)
      JOIN run_merchants rm ON rm.run_id = f.run_id AND rm.idx = x.idx
      ORDER BY x.ord);
    ALTER TABLE run_features DROP CONSTRAINT IF EXISTS run_features_check;
    ALTER TABLE run_features DROP COLUMN merchant_idx;
    ALTER TABLE run_features ALTER COLUMN merchant_ids SET NOT NULL;
    ALTER TABLE run_features ADD CONSTRAINT run_features_arrays_check
      CHECK (cardinality(merchant_ids) = cardinality(visits) AND cardinality(visits) = cardinality(last_days));

    CREATE TABLE run_merchant_df (
      run_id       bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      part         smallint NOT NULL CHECK (part >= 0),
      merchant_id  bigint NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
      df           integer NOT NULL CHECK (df > 0),
      PRIMARY KEY (run_id, part, merchant_id)
    );
    -- readers map a feature row's merchant ids to the run's index
    CREATE UNIQUE INDEX run_merchants_run_merchant_idx ON run_merchants (run_id, merchant_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS run_merchants_run_merchant_idx;
    DROP TABLE IF EXISTS run_merchant_df;
    ALTER TABLE run_features ADD COLUMN merchant_idx integer[];
    UPDATE run_features f SET merchant_idx = ARRAY(
      SELECT rm.idx FROM unnest(f.merchant_ids) WITH ORDINALITY AS x(id, ord)
      JOIN run_merchants rm ON rm.run_id = f.run_id AND rm.merchant_id = x.id
      ORDER BY x.ord);
    ALTER TABLE run_features DROP CONSTRAINT IF EXISTS run_features_arrays_check;
    ALTER TABLE run_features DROP COLUMN merchant_ids;
    ALTER TABLE run_features ALTER COLUMN merchant_idx SET NOT NULL;
    ALTER TABLE run_features ADD CONSTRAINT run_features_check
      CHECK (cardinality(merchant_idx) = cardinality(visits) AND cardinality(visits) = cardinality(last_days));
  `.execute(db);
}
