import { sql, type Kysely } from 'kysely';

/**
 * Working tables of the nightly pipeline (design section 8). Frozen in time: never imports src/.
 *
 * A run snapshots its eligible users (`run_users`), aggregates the window's transactions into one
 * feature row per user (`run_features`, parallel arrays, so that a shard loads a city with one
 * COPY instead of millions of rows) and the run's merchant table with global df (`run_merchants`).
 * The pair stage writes `run_pairs`; publish turns them into `matches`. Everything cascades from
 * `scoring_runs` and from `users` (erasure). Tables that grow with users are hash-partitioned.
 */
const PARTITIONS = 8;

async function hashPartitions(db: Kysely<unknown>, table: string): Promise<void> {
  for (let i = 0; i < PARTITIONS; i += 1) {
    await sql
      .raw(
        `CREATE TABLE ${table}_p${i} PARTITION OF ${table} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
      )
      .execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    -- Concatenates arrays in the order given to the aggregate (flattens ragged per-merchant lists).
    CREATE AGGREGATE array_cat_agg(anycompatiblearray) (SFUNC = array_cat, STYPE = anycompatiblearray);

    CREATE TABLE run_users (
      run_id         bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      city           text NOT NULL,
      shard          smallint NOT NULL CHECK (shard >= 0),
      gender         text NOT NULL,
      seeking        text[] NOT NULL,
      age            smallint NOT NULL,
      age_min        smallint NOT NULL,
      age_max        smallint NOT NULL,
      verified       boolean NOT NULL,
      only_verified  boolean NOT NULL,
      PRIMARY KEY (user_id, run_id)
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  await hashPartitions(db, 'run_users');
  await sql`
    CREATE INDEX run_users_run_city_idx ON run_users (run_id, city);
    CREATE INDEX run_users_run_shard_idx ON run_users (run_id, shard);

    CREATE TABLE run_merchants (
      run_id       bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      idx          integer NOT NULL CHECK (idx >= 0),
      merchant_id  bigint NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
      category     text NOT NULL,
      df           integer NOT NULL CHECK (df > 0),
      PRIMARY KEY (run_id, idx)
    );
    CREATE INDEX run_merchants_merchant_idx ON run_merchants (merchant_id);

    -- One row per eligible user with at least one transaction in the window. Arrays are parallel
    -- and ordered by merchant_idx; visit_minutes holds, merchant after merchant, each visit's
    -- minute since the window start (ascending within a merchant; visits[i] entries each).
    CREATE TABLE run_features (
      run_id         bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      merchant_idx   integer[] NOT NULL,
      visits         integer[] NOT NULL,
      last_days      smallint[] NOT NULL,
      visit_minutes  integer[] NOT NULL,
      amount_cents   bigint NOT NULL CHECK (amount_cents > 0),
      txn_count      integer NOT NULL CHECK (txn_count > 0),
      PRIMARY KEY (user_id, run_id),
      CHECK (cardinality(merchant_idx) = cardinality(visits)
             AND cardinality(visits) = cardinality(last_days))
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  await hashPartitions(db, 'run_features');
  await sql`
    CREATE INDEX run_features_run_idx ON run_features (run_id);

    -- The daily pairing of a run, user_a < user_b; publish turns each into two matches rows.
    CREATE TABLE run_pairs (
      run_id        bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      user_a        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      user_b        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      score         real NOT NULL,
      overlap       real NOT NULL,
      co_presence   real NOT NULL,
      spend_level   real NOT NULL,
      shared_count  smallint NOT NULL,
      PRIMARY KEY (run_id, user_a),
      UNIQUE (run_id, user_b),
      CHECK (user_a < user_b)
    );
    CREATE INDEX run_pairs_user_a_idx ON run_pairs (user_a);
    CREATE INDEX run_pairs_user_b_idx ON run_pairs (user_b);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS run_pairs, run_features, run_merchants, run_users CASCADE;
    DROP AGGREGATE IF EXISTS array_cat_agg(anycompatiblearray);
  `.execute(db);
}
