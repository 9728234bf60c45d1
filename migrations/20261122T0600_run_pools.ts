import { sql, type Kysely } from 'kysely';

/**
 * The score shards' pools, apart from the published `candidates` (design section 8). Frozen in
 * time: never imports src/.
 *
 * A shard stores a superset of each of its users' final pools (the run's overlap scale is known
 * only once every shard is done); the pair stage cuts them to `topK` and writes `candidates` once.
 * Before this table the shards wrote their supersets into `candidates`, whose GIN index over
 * `candidate_ids` (for erasure) then took every entry twice, the supersets and the final pools:
 * most of the cost of both writes at 200,000 users. Only what the pair stage reads is kept: the
 * candidates, raw overlaps, co-presences and shared counts (scores and spend levels are computed
 * again at the run's scale). Publish deletes the run's rows. Hash-partitioned by user like
 * `run_features`, and cascades from the run and from the user (erasure).
 */
const PARTITIONS = 8;

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE run_pools (
      run_id          bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      shard           smallint NOT NULL CHECK (shard >= 0),
      candidate_ids   bigint[] NOT NULL,
      overlap_scores  real[] NOT NULL,
      co_presences    real[] NOT NULL,
      shared_counts   smallint[] NOT NULL,
      PRIMARY KEY (user_id, run_id),
      CHECK (cardinality(candidate_ids) = cardinality(overlap_scores)
             AND cardinality(overlap_scores) = cardinality(co_presences)
             AND cardinality(co_presences) = cardinality(shared_counts))
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  for (let i = 0; i < PARTITIONS; i += 1) {
    await sql
      .raw(
        `CREATE TABLE run_pools_p${i} PARTITION OF run_pools FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
      )
      .execute(db);
  }
  await sql`CREATE INDEX run_pools_run_shard_idx ON run_pools (run_id, shard)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS run_pools CASCADE`.execute(db);
}
