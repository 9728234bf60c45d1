import { sql } from 'kysely';
import type pg from 'pg';
import type { Db } from '../../db/database.ts';
import { copyOutBinary } from './binary-copy-out.ts';
import { createFeatureAggregator, type PartFeature } from './part-features.ts';
import { copyInBinary, type BinaryField } from './binary-copy.ts';
import type { CitySize, ShardPlan } from './shard-plan.ts';
import type { FeatureRow } from './shard-scoring.ts';
import {
  copyInLines,
  copyOutLines,
  inTransaction,
  parseIntegerArray,
  parseWordArray,
  withClient,
} from './copy.ts';

/**
 * Queries of the pipeline's working tables (migrations/20261122T0100_pipeline.ts). Bulk reads
 * and writes go through COPY on a raw pool client; the rest through Kysely's `sql`.
 * Run ids are validated digit strings (zod payloads) before they are inlined into COPY text,
 * which takes no parameters; text values are escaped with the client's escapeLiteral.
 */

export type SnapshotParams = {
  runId: string;
  /** Which shards own each city's users (shard-plan.ts), from the eligible users per city. */
  planShards: (cities: CitySize[]) => ShardPlan;
  /** Age is year(date) − birth year (profiles hold a birth year only). */
  year: number;
};

export type PartParams = {
  runId: string;
  /** A hash partition of `transactions` (see {@link TransactionPart}). */
  part: number;
  windowStart: Date;
  windowEnd: Date;
  minAmountCents: number;
};

/** A part's figures: its users with features, and the merchants they bought from. */
export type PartCounts = { featureUsers: number; merchants: number };

/** A part as it was written: its figures, its users' feature rows and its df by merchant id. */
export type PreparedPart = PartCounts & { features: PartFeature[]; df: Map<number, number> };

/**
 * One part of prepare: a hash partition of `transactions` and the partition of `run_features`
 * with the same remainder (both tables are partitioned by hash of `user_id` with one modulus, so
 * a user's transactions and features fall in partitions of the same remainder).
 */
export type TransactionPart = { part: number; transactions: string; features: string };

export type RunMerchants = { merchantIds: string[]; categories: string[]; df: Int32Array };

/** One user of a city as a shard loads it: the snapshot and the features (empty without any). */
export type CityUser = {
  userId: string;
  city: string;
  shard: number;
  gender: string;
  seeking: string[];
  age: number;
  ageMin: number;
  ageMax: number;
  verified: boolean;
  onlyVerified: boolean;
  merchants: number[];
  visits: number[];
  lastDays: number[];
  minutes: number[];
  amountCents: number;
  txnCount: number;
};

export type CandidateRow = {
  userId: string;
  candidateIds: string[];
  scores: ArrayLike<number>;
  overlap: ArrayLike<number>;
  coPresence: ArrayLike<number>;
  spendLevel: ArrayLike<number>;
  shared: ArrayLike<number>;
};

/** A user's pool as a score shard stored it: what the pair stage needs to cut it exactly. */
export type ShardPool = {
  /** User ids as numbers (bigint identities, below 2^53). */
  userId: number;
  candidateIds: number[];
  overlap: Float32Array;
  coPresence: Float32Array;
  shared: Int16Array;
};

export type PairRow = {
  userA: string;
  userB: string;
  score: number;
  overlap: number;
  coPresence: number;
  spendLevel: number;
  shared: number;
};

export type MatchRow = {
  userId: string;
  counterpartId: string;
  matchId: string;
  alias: string;
  score: number;
  sharedBucket: '2' | '3-4' | '5+';
  topCategories: string[];
  crossedPaths: boolean;
};

/** The pending list of the candidates GIN index while the pair stage writes (see replaceRunCandidates). */
const GIN_PENDING_LIST_KB = 64 * 1024;

/** work_mem of the prepare transaction (per sort or hash node). */
const PREPARE_WORK_MEM_MB = 256;

const runLiteral = (runId: string): string => {
  if (!/^[1-9][0-9]{0,18}$/.test(runId)) throw new RangeError('invalid run id');
  return runId;
};

const bool = (s: string | undefined): boolean => s === 't';

/** Candidate rows into `candidates` by binary COPY (floats as their 4 bytes, see binary-copy.ts). */
async function copyCandidates(
  client: pg.PoolClient,
  runId: string,
  rows: Iterable<CandidateRow>,
): Promise<void> {
  function* tuples(): Generator<BinaryField[]> {
    for (const r of rows) {
      yield [
        { type: 'int8', value: runId },
        { type: 'int8', value: r.userId },
        { type: 'int8[]', values: r.candidateIds },
        { type: 'float4[]', values: r.scores },
        { type: 'float4[]', values: r.overlap },
        { type: 'float4[]', values: r.coPresence },
        { type: 'float4[]', values: r.spendLevel },
        { type: 'int2[]', values: r.shared },
      ];
    }
  }
  await copyInBinary(
    client,
    'candidates (run_id, user_id, candidate_ids, scores, overlap_scores, co_presences, spend_levels, shared_counts)',
    tuples(),
  );
}

/**
 * A user's features with merchants ascending and each merchant's minutes ascending, sorted here
 * when the aggregation returned them in another order.
 */
export function inMerchantOrder(u: CityUser): CityUser {
  const starts = [0];
  for (const v of u.visits) starts.push(starts[starts.length - 1]! + v);
  let sorted = true;
  for (let j = 0; j < u.merchants.length && sorted; j++) {
    if (j > 0 && u.merchants[j - 1]! >= u.merchants[j]!) sorted = false;
    for (let k = starts[j]! + 1; k < starts[j + 1]! && sorted; k++)
      if (u.minutes[k - 1]! > u.minutes[k]!) sorted = false;
  }
  if (sorted) return u;
  const order = u.merchants.map((_, j) => j).sort((a, b) => u.merchants[a]! - u.merchants[b]!);
  return {
    ...u,
    merchants: order.map((j) => u.merchants[j]!),
    visits: order.map((j) => u.visits[j]!),
    lastDays: order.map((j) => u.lastDays[j]!),
    minutes: order.flatMap((j) => u.minutes.slice(starts[j], starts[j + 1]).sort((a, b) => a - b)),
  };
}

/**
 * One text-COPY line of a user snapshot with features, columns: user_id, city, shard, gender,
 * seeking, age, age_min, age_max, verified, only_verified, merchant_idx, visits, last_days,
 * visit_minutes, amount_cents, txn_count (the run's `loadUsers`, and an evaluation's snapshot).
 */
export function parseSnapshotUserLine(line: string): CityUser {
  const c = line.split('\t');
  return inMerchantOrder({
    userId: c[0] ?? '',
    city: c[1] ?? '',
    shard: Number(c[2]),
    gender: c[3] ?? '',
    seeking: parseWordArray(c[4] ?? '{}'),
    age: Number(c[5]),
    ageMin: Number(c[6]),
    ageMax: Number(c[7]),
    verified: bool(c[8]),
    onlyVerified: bool(c[9]),
    merchants: parseIntegerArray(c[10] ?? '{}'),
    visits: parseIntegerArray(c[11] ?? '{}'),
    lastDays: parseIntegerArray(c[12] ?? '{}'),
    minutes: parseIntegerArray(c[13] ?? '{}'),
    amountCents: Number(c[14]),
    txnCount: Number(c[15]),
  });
}

/** Deletes a run's rows of `table` whose `userColumn` is a user of one of `cities`. */
async function deleteCityRows(
  client: pg.PoolClient,
  table: 'candidates' | 'run_pairs',
  userColumn: 'user_id' | 'user_a',
  runId: string,
  cities: readonly string[],
): Promise<void> {
  await client.query(
    `DELETE FROM ${table} WHERE run_id = $1
       AND ${userColumn} IN (SELECT user_id FROM run_users WHERE run_id = $1 AND city = ANY($2))`,
    [runLiteral(runId), cities],
  );
}

/**
 * Feature rows name merchants by id (prepare's parts write them before the run's merchant index
 * exists); readers give the matrix dense indexes. The index follows merchant id order, so a row
 * in id order is in index order.
 */
function merchantIndexOf(merchants: RunMerchants): Map<number, number> {
  return new Map(merchants.merchantIds.map((id, idx) => [Number(id), idx]));
}

/** Merchant ids to the run's indexes; an id outside the run's merchants is a broken run. */
function toMerchantIndexes(ids: readonly number[], index: ReadonlyMap<number, number>): number[] {
  return ids.map((id) => {
    const idx = index.get(id);
    if (idx === undefined) throw new Error(`merchant ${String(id)} is not among the run's merchants`);
    return idx;
  });
}

export function createPipelineRepository(db: Db, pool: pg.Pool) {
  return {
    /**
     * The parts of prepare: the hash partitions of `transactions`, each with the partition of
     * `run_features` of the same remainder, read from the catalog. Throws when the two tables
     * are not partitioned alike (a part would then not own its users' features).
     */
    async transactionParts(): Promise<TransactionPart[]> {
      const rows = await sql<{ parent: string; name: string; modulus: number; remainder: number }>`
        SELECT p.relname AS parent, c.relname AS name, b.m[1]::int AS modulus, b.m[2]::int AS remainder
        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid), 'modulus ([0-9]+), remainder ([0-9]+)') AS b(m)
        WHERE p.relname IN ('transactions', 'run_features') AND p.relnamespace = 'public'::regnamespace
        ORDER BY remainder`.execute(db);
      const of = (table: string) => rows.rows.filter((r) => r.parent === table);
      const transactions = of('transactions');
      const features = of('run_features');
      const alike =
        transactions.length > 0 &&
        transactions.length === features.length &&
        transactions.every(
          (t, i) =>
            t.modulus === transactions.length &&
            features[i]?.modulus === t.modulus &&
            features[i]?.remainder === t.remainder &&
            t.remainder === i,
        );
      if (!alike) throw new Error('transactions and run_features must be hash partitioned alike');
      return transactions.map((t, i) => ({
        part: i,
        transactions: t.name,
        features: features[i]?.name ?? '',
      }));
    },

    /**
     * Prepare's snapshot, in one transaction (so a retry rewrites the same rows): drops the run's
     * old rows, then snapshots the eligible users (profile, both consents current, not suspended)
     * with their shard (the plan's shards of their city, round robin by user id). Returns the
     * number of eligible users.
     */
    async prepareSnapshot(p: SnapshotParams): Promise<number> {
      return inTransaction(pool, async (client) => {
        const run = runLiteral(p.runId);
        await client.query('DELETE FROM run_pairs WHERE run_id = $1', [run]);
        await client.query('DELETE FROM candidates WHERE run_id = $1', [run]);
        // The shards' pools of this run, and of finished runs: a finished run's pools are kept
        // until the next prepare, so that a duplicated stage job can still replay the pair stage.
        await client.query(
          `DELETE FROM run_pools WHERE run_id = $1
             OR run_id IN (SELECT id FROM scoring_runs WHERE status IN ('published', 'failed'))`,
          [run],
        );
        await client.query('DELETE FROM run_features WHERE run_id = $1', [run]);
        await client.query('DELETE FROM run_merchant_df WHERE run_id = $1', [run]);
        await client.query('DELETE FROM run_merchants WHERE run_id = $1', [run]);
        await client.query('DELETE FROM run_users WHERE run_id = $1', [run]);
        // Both consents current: the flags on the user row (the latest event of each purpose,
        // kept by trigger, migration 20261122T0400), not a pass over the whole consent ledger.
        const eligible = `
          SELECT u.id, u.verified, p.*
          FROM users u JOIN profiles p ON p.user_id = u.id
          WHERE u.suspended_at IS NULL AND u.transactions_consent AND u.matching_consent`;
        const sizes = await client.query<{ city: string; users: number }>(
          `SELECT city, count(*)::int AS users FROM (${eligible}) e GROUP BY city`,
        );
        const plan = p.planShards(sizes.rows);
        // A city that appeared since the count (a profile written meanwhile) goes to shard 0 whole.
        const users = await client.query(
          `WITH eligible AS (${eligible}),
           plan AS (
             SELECT key AS city, array(SELECT jsonb_array_elements_text(value)::smallint) AS shards
             FROM jsonb_each($2::jsonb)
           )
           INSERT INTO run_users (run_id, user_id, city, shard, gender, seeking, age, age_min, age_max, verified, only_verified)
           SELECT $1, e.id, e.city,
                  coalesce(pl.shards[1 + (row_number() OVER (PARTITION BY e.city ORDER BY e.id) - 1) % cardinality(pl.shards)], 0),
                  e.gender, e.seeking, ($3 - e.birth_year)::smallint, e.age_min, e.age_max, e.verified, e.only_verified
           FROM eligible e LEFT JOIN plan pl ON pl.city = e.city`,
          [run, JSON.stringify(plan), p.year],
        );
        // Fresh statistics on the snapshot for the parts' joins.
        await client.query('ANALYZE run_users');
        return users.rowCount ?? 0;
      });
    },

    /**
     * One part of prepare, in one transaction (a retry rewrites the same rows): the window's
     * transactions of one hash partition, for the snapshot's users, streamed in user order (the
     * partition's (user, time) index: no sort) and aggregated here into one feature row per user
     * (parallel arrays in merchant id order, which is the order of the run's merchant index) and
     * the part's count of users per merchant (`run_merchant_df`), both written back by COPY. One
     * statement aggregating in SQL took 4–5 s a part at 200,000 users, most of it sorting every
     * window row by user, merchant and minute; this takes about 2 s (part-features.ts).
     */
    async preparePart(p: PartParams, part: TransactionPart): Promise<PreparedPart> {
      return inTransaction(pool, async (client) => {
        const run = runLiteral(p.runId);
        const windowStart = client.escapeLiteral(p.windowStart.toISOString());
        await client.query(`DELETE FROM ${client.escapeIdentifier(part.features)} WHERE run_id = $1`, [run]);
        await client.query('DELETE FROM run_merchant_df WHERE run_id = $1 AND part = $2', [run, part.part]);
        // A merge semi join over the index order; a nested loop would probe the snapshot once per
        // transaction.
        await client.query('SET LOCAL enable_nestloop = off');
        // The semi join sorts the snapshot's users: in memory, not spilled to disk.
        await client.query(`SET LOCAL work_mem = '${String(PREPARE_WORK_MEM_MB)}MB'`);
        const features: PartFeature[] = [];
        const rows: BinaryField[][] = [];
        const aggregator = createFeatureAggregator((f) => {
          features.push(f);
          rows.push([
            { type: 'int8', value: run },
            { type: 'int8', value: f.userId },
            { type: 'int8[]', values: f.merchantIds },
            { type: 'int4[]', values: f.visits },
            { type: 'int2[]', values: f.lastDays },
            { type: 'int4[]', values: f.minutes },
            { type: 'int8', value: f.amountCents },
            { type: 'int4', value: f.txnCount },
          ]);
        });
        await copyOutBinary(
          client,
          `SELECT t.user_id, t.merchant_id, t.amount_cents,
                  floor(date_part('epoch', t.occurred_at - ${windowStart}::timestamptz) / 60)::int
           FROM ${client.escapeIdentifier(part.transactions)} t
           WHERE EXISTS (SELECT 1 FROM run_users ru WHERE ru.run_id = ${run} AND ru.user_id = t.user_id)
             AND t.occurred_at >= ${windowStart}
             AND t.occurred_at < ${client.escapeLiteral(p.windowEnd.toISOString())}
             AND t.amount_cents >= ${String(Math.trunc(p.minAmountCents))}
           ORDER BY t.user_id, t.occurred_at`,
          (t) => aggregator.add(t.int8(0), t.int8(1), t.int8(2), t.int4(3)),
        );
        const df = aggregator.finish();
        await copyInBinary(
          client,
          `${client.escapeIdentifier(part.features)} (run_id, user_id, merchant_ids, visits, last_days, visit_minutes, amount_cents, txn_count)`,
          rows,
        );
        await copyInLines(
          client,
          'run_merchant_df (run_id, part, merchant_id, df)',
          [...df].map(
            ([merchant, users]) => `${run}\t${String(part.part)}\t${String(merchant)}\t${String(users)}\n`,
          ),
        );
        return { featureUsers: features.length, merchants: df.size, features, df };
      });
    },

    /**
     * Prepare's last step, once every part is done: the run's merchant table (dense index in
     * merchant id order, df summed over the parts: a user is in one part only). Returns the
     * number of merchants.
     */
    async finishPrepare(runId: string): Promise<number> {
      return inTransaction(pool, async (client) => {
        const run = runLiteral(runId);
        await client.query('DELETE FROM run_merchants WHERE run_id = $1', [run]);
        const merchants = await client.query(
          `INSERT INTO run_merchants (run_id, idx, merchant_id, category, df)
           SELECT $1, (row_number() OVER (ORDER BY d.merchant_id) - 1)::int, d.merchant_id, mm.category, d.df
           FROM (SELECT merchant_id, sum(df)::int AS df FROM run_merchant_df WHERE run_id = $1 GROUP BY merchant_id) d
           JOIN merchants mm ON mm.id = d.merchant_id`,
          [run],
        );
        return merchants.rowCount ?? 0;
      });
    },

    async merchants(runId: string): Promise<RunMerchants> {
      const rows = await sql<{ merchant_id: string; category: string; df: number }>`
        SELECT merchant_id, category, df FROM run_merchants WHERE run_id = ${runId} ORDER BY idx`.execute(db);
      const df = new Int32Array(rows.rows.length);
      rows.rows.forEach((r, i) => {
        df[i] = r.df;
      });
      return {
        merchantIds: rows.rows.map((r) => r.merchant_id),
        categories: rows.rows.map((r) => r.category),
        df,
      };
    },

    /** The cities that have users in a shard, and whether other shards hold part of each. */
    async shardCities(runId: string, shard: number): Promise<Array<{ city: string; split: boolean }>> {
      const rows = await sql<{ city: string; shards: number }>`
        SELECT city, count(DISTINCT shard)::int AS shards FROM run_users
        WHERE run_id = ${runId}
          AND city IN (SELECT city FROM run_users WHERE run_id = ${runId} AND shard = ${shard})
        GROUP BY city ORDER BY city`.execute(db);
      return rows.rows.map((r) => ({ city: r.city, split: r.shards > 1 }));
    },

    /**
     * The pairing groups of a run: each city goes to the lowest shard that holds its users, so a
     * group is a whole-city shard's cities, and a split city is paired whole by one group.
     */
    async pairGroups(runId: string): Promise<Map<number, string[]>> {
      const rows = await sql<{ city: string; grp: number }>`
        SELECT city, min(shard)::int AS grp FROM run_users WHERE run_id = ${runId}
        GROUP BY city ORDER BY city`.execute(db);
      const groups = new Map<number, string[]>();
      for (const r of rows.rows) groups.set(r.grp, [...(groups.get(r.grp) ?? []), r.city]);
      return groups;
    },

    /** Every user of the run (or of one city) with their features, by user id, in one COPY. */
    async loadUsers(runId: string, merchants: RunMerchants, city?: string): Promise<CityUser[]> {
      return withClient(pool, async (client) => {
        const index = merchantIndexOf(merchants);
        const out: CityUser[] = [];
        await copyOutLines(
          client,
          `SELECT ru.user_id, ru.city, ru.shard, ru.gender, ru.seeking, ru.age, ru.age_min, ru.age_max, ru.verified,
                  ru.only_verified, coalesce(f.merchant_ids, '{}'), coalesce(f.visits, '{}'),
                  coalesce(f.last_days, '{}'), coalesce(f.visit_minutes, '{}'), coalesce(f.amount_cents, 0),
                  coalesce(f.txn_count, 0)
           FROM run_users ru
           LEFT JOIN run_features f ON f.run_id = ru.run_id AND f.user_id = ru.user_id
           WHERE ru.run_id = ${runLiteral(runId)} ${city === undefined ? '' : `AND ru.city = ${client.escapeLiteral(city)}`}
           ORDER BY ru.user_id`,
          (line) => {
            const user = parseSnapshotUserLine(line);
            out.push({ ...user, merchants: toMerchantIndexes(user.merchants, index) });
          },
        );
        return out;
      });
    },

    /**
     * The run's feature rows without their visit minutes (what the matrix and a card's reasons
     * read), of every user or only of `userIds`, in one COPY: publish reads every paired user's,
     * and a plain query's array parsing took 5.4 s for 167,062 users (bench/RESULTS.md,
     * 2026-12-07). Text, not binary: binary int8 arrays are three times the bytes, and reading
     * them took 2.3 s against 1.3 s for every user of the 200,000-user benchmark.
     */
    async featureRows(
      runId: string,
      merchants: RunMerchants,
      onRow: (userId: string, row: FeatureRow) => void,
      userIds?: readonly string[],
    ): Promise<void> {
      if (userIds?.length === 0) return;
      for (const id of userIds ?? [])
        if (!/^[0-9]{1,19}$/.test(id)) throw new Error('user ids are digit strings');
      const index = merchantIndexOf(merchants);
      const only = userIds === undefined ? '' : `AND user_id = ANY('{${userIds.join(',')}}'::bigint[])`;
      await withClient(pool, (client) =>
        copyOutLines(
          client,
          `SELECT user_id, merchant_ids, visits, last_days FROM run_features WHERE run_id = ${runLiteral(runId)} ${only}`,
          (line) => {
            const [userId = '', merchantIds = '{}', visits = '{}', lastDays = '{}'] = line.split('\t');
            onRow(userId, {
              merchants: toMerchantIndexes(parseIntegerArray(merchantIds), index),
              visits: parseIntegerArray(visits),
              lastDays: parseIntegerArray(lastDays),
            });
          },
        ),
      );
    },

    /**
     * The merchants of a df count (a prepare part's: merchant id → its users there) as the matrix
     * takes them: in merchant id order, with their categories.
     */
    async merchantsOf(df: ReadonlyMap<number, number>): Promise<RunMerchants> {
      const ids = [...df.keys()].sort((a, b) => a - b);
      const rows = await sql<{ id: string; category: string }>`
        SELECT id, category FROM merchants WHERE id = ANY(${ids.map(String)}::bigint[])`.execute(db);
      const category = new Map(rows.rows.map((r) => [Number(r.id), r.category]));
      return {
        merchantIds: ids.map(String),
        categories: ids.map((id) => {
          const c = category.get(id);
          if (c === undefined) throw new Error(`merchant ${String(id)} is unknown`);
          return c;
        }),
        df: Int32Array.from(ids, (id) => df.get(id)!),
      };
    },

    /** Pairs matched on a date in [from, to) among the run's users (the repeat cooldown). */
    async recentPairs(
      runId: string,
      from: string,
      to: string,
      city?: string,
    ): Promise<Array<[string, string]>> {
      const rows = await sql<{ a: string; b: string }>`
        SELECT m.user_id AS a, m.counterpart_id AS b FROM matches m
        JOIN run_users x ON x.run_id = ${runId} AND x.user_id = m.user_id
        WHERE m.match_date >= ${from} AND m.match_date < ${to} AND m.user_id < m.counterpart_id
          ${city === undefined ? sql`` : sql`AND x.city = ${city}`}`.execute(db);
      return rows.rows.map((r) => [r.a, r.b]);
    },

    /** All block relations among the run's users. */
    async runBlocks(runId: string): Promise<Array<[string, string]>> {
      const rows = await sql<{ a: string; b: string }>`
        SELECT b.blocker_id AS a, b.blocked_id AS b FROM blocks b
        JOIN run_users x ON x.run_id = ${runId} AND x.user_id = b.blocker_id
        JOIN run_users y ON y.run_id = ${runId} AND y.user_id = b.blocked_id`.execute(db);
      return rows.rows.map((r) => [r.a, r.b]);
    },

    /**
     * Replaces a shard's pools (`run_pools`, migration 20261122T0600): delete then binary COPY, in
     * one transaction. Only what the pair stage reads is stored.
     */
    async writeShardPools(runId: string, shard: number, rows: readonly CandidateRow[]): Promise<void> {
      await inTransaction(pool, async (client) => {
        await client.query('DELETE FROM run_pools WHERE run_id = $1 AND shard = $2', [
          runLiteral(runId),
          shard,
        ]);
        function* tuples(): Generator<BinaryField[]> {
          for (const r of rows) {
            yield [
              { type: 'int8', value: runId },
              { type: 'int8', value: r.userId },
              { type: 'int2', value: shard },
              { type: 'int8[]', values: r.candidateIds },
              { type: 'float4[]', values: r.overlap },
              { type: 'float4[]', values: r.coPresence },
              { type: 'int2[]', values: r.shared },
            ];
          }
        }
        await copyInBinary(
          client,
          'run_pools (run_id, user_id, shard, candidate_ids, overlap_scores, co_presences, shared_counts)',
          tuples(),
        );
      });
    },

    /** Replaces every candidates row of a run (the pair stage's final pools): delete then COPY. */
    /** Replaces the run's candidates of the users of `cities` (a pair group's). */
    async replaceRunCandidates(
      runId: string,
      rows: Iterable<CandidateRow>,
      cities: readonly string[],
    ): Promise<void> {
      await inTransaction(pool, async (client) => {
        await deleteCityRows(client, 'candidates', 'user_id', runId, cities);
        // The GIN index over candidate_ids (erasure) takes millions of entries here. With the
        // default 4 MB pending list, the COPY merges it into the index hundreds of times; with a
        // larger one the entries are merged once per partition, below, in sorted batches
        // (measured at 200,000 users: 22 s for the write before, 16 s with the merge included).
        await client.query(`SET LOCAL gin_pending_list_limit = '${String(GIN_PENDING_LIST_KB)}kB'`);
        await copyCandidates(client, runId, rows);
      });
    },

    /**
     * Merges the pending lists of the candidates GIN index (after replaceRunCandidates) now rather
     * than leaving them to autovacuum, so that the index is compact when the run is published.
     * Postgres does this alone: the pair stage pairs meanwhile. A role that may not do it leaves
     * it to autovacuum: nothing is lost.
     */
    async mergeCandidatesIndex(): Promise<void> {
      await sql`
        SELECT gin_clean_pending_list(i.indexrelid::regclass)
        FROM pg_inherits h JOIN pg_index i ON i.indrelid = h.inhrelid
        JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
        WHERE h.inhparent = 'candidates'::regclass AND a.amname = 'gin'`
        .execute(db)
        .catch(() => undefined);
    },

    /**
     * The shard pools (`run_pools`) of the users of `cities` (a pair group's), by user id, in one
     * binary COPY (the arrays go straight into typed arrays).
     */
    async loadShardPools(
      runId: string,
      onRow: (row: ShardPool) => void,
      cities: readonly string[],
    ): Promise<void> {
      await withClient(pool, (client) =>
        copyOutBinary(
          client,
          `SELECT p.user_id, p.candidate_ids, p.overlap_scores, p.co_presences, p.shared_counts
           FROM run_pools p
           JOIN run_users ru ON ru.run_id = p.run_id AND ru.user_id = p.user_id
             AND ru.city IN (${cities.map((c) => client.escapeLiteral(c)).join(', ')})
           WHERE p.run_id = ${runLiteral(runId)} ORDER BY p.user_id`,
          (t) => {
            onRow({
              userId: t.int8(0),
              candidateIds: t.int8Array(1),
              overlap: t.float4Array(2),
              coPresence: t.float4Array(3),
              shared: t.int2Array(4),
            });
          },
        ),
      );
    },

    /** The run's snapshot of the users of `cities`, by user id (for pairing). */
    async runUsers(
      runId: string,
      cities: readonly string[],
    ): Promise<
      Array<{
        userId: string;
        city: string;
        gender: string;
        seeking: string[];
        age: number;
        ageMin: number;
        ageMax: number;
        verified: boolean;
        onlyVerified: boolean;
        suspended: boolean;
        consentTransactions: boolean;
        consentMatching: boolean;
        /** Average ticket in the window (cents), 0 without features. */
        avgTicket: number;
      }>
    > {
      // Suspension and consents are read again now: both may change between prepare and pair.
      // The consent flags on the user row are the latest event of each purpose (kept by trigger,
      // migration 20261122T0400): one row read per user instead of two index probes.
      const rows = await sql<{
        user_id: string;
        city: string;
        gender: string;
        seeking: string[];
        age: number;
        age_min: number;
        age_max: number;
        verified: boolean;
        only_verified: boolean;
        suspended: boolean;
        tx: boolean;
        mt: boolean;
        avg_ticket: number;
      }>`
        SELECT ru.user_id, ru.city, ru.gender, ru.seeking, ru.age, ru.age_min, ru.age_max, ru.verified, ru.only_verified,
               (u.suspended_at IS NOT NULL) AS suspended,
               u.transactions_consent AS tx, u.matching_consent AS mt,
               coalesce(f.amount_cents::float8 / f.txn_count, 0) AS avg_ticket
        FROM run_users ru JOIN users u ON u.id = ru.user_id
        LEFT JOIN run_features f ON f.run_id = ru.run_id AND f.user_id = ru.user_id
        WHERE ru.run_id = ${runId} AND ru.city = ANY(${cities})
        ORDER BY ru.user_id`.execute(db);
      return rows.rows.map((r) => ({
        userId: r.user_id,
        city: r.city,
        gender: r.gender,
        seeking: r.seeking,
        age: r.age,
        ageMin: r.age_min,
        ageMax: r.age_max,
        verified: r.verified,
        onlyVerified: r.only_verified,
        suspended: r.suspended,
        consentTransactions: r.tx,
        consentMatching: r.mt,
        avgTicket: r.avg_ticket,
      }));
    },

    /** Replaces the run's pairs in `cities` (a pair group's; delete then insert, one transaction). */
    async writePairs(runId: string, pairs: readonly PairRow[], cities: readonly string[]): Promise<void> {
      await inTransaction(pool, async (client) => {
        // both users of a pair live in one city
        await deleteCityRows(client, 'run_pairs', 'user_a', runId, cities);
        function* lines(): Generator<string> {
          for (const p of pairs) {
            yield `${runId}\t${p.userA}\t${p.userB}\t${String(p.score)}\t${String(p.overlap)}\t${String(p.coPresence)}\t${String(p.spendLevel)}\t${String(p.shared)}\n`;
          }
        }
        await copyInLines(
          client,
          'run_pairs (run_id, user_a, user_b, score, overlap, co_presence, spend_level, shared_count)',
          lines(),
        );
      });
    },

    async pairs(runId: string): Promise<PairRow[]> {
      const rows = await sql<{
        user_a: string;
        user_b: string;
        score: number;
        overlap: number;
        co_presence: number;
        spend_level: number;
        shared_count: number;
      }>`SELECT * FROM run_pairs WHERE run_id = ${runId} ORDER BY user_a`.execute(db);
      return rows.rows.map((r) => ({
        userA: r.user_a,
        userB: r.user_b,
        score: r.score,
        overlap: r.overlap,
        coPresence: r.co_presence,
        spendLevel: r.spend_level,
        shared: r.shared_count,
      }));
    },

    /**
     * Publishes a date in one transaction: the run row is locked and must still be `publishing`
     * (else nothing happens and `published` is false); pairs where either user no longer has a
     * profile, both current consents, or is suspended are skipped (counted in `skippedPairs`); the date's matches rows are deleted and
     * rewritten (a retry rewrites the same rows) and the run becomes `published` with `info` in
     * `stages.publish`, so the matches become visible together with the run's status.
     */
    async publishMatches(
      runId: string,
      date: string,
      rows: readonly MatchRow[],
      info: Record<string, unknown>,
    ): Promise<{ published: boolean; skippedPairs: number }> {
      return inTransaction(pool, async (client) => {
        const run = runLiteral(runId);
        const lock = await client.query<{ status: string }>(
          'SELECT status FROM scoring_runs WHERE id = $1 FOR UPDATE',
          [run],
        );
        if (lock.rows[0]?.status !== 'publishing') return { published: false, skippedPairs: 0 };
        // A user may have withdrawn a consent, been erased or suspended since prepare: re-checked
        // here, in the transaction that publishes, and the pairs of such users are left out.
        const ids = [...new Set(rows.map((r) => r.userId))];
        const still = await client.query<{ id: string }>(
          `SELECT u.id FROM users u JOIN profiles p ON p.user_id = u.id
           WHERE u.id = ANY($1::bigint[]) AND u.suspended_at IS NULL
             AND u.transactions_consent AND u.matching_consent
           FOR SHARE OF u`,
          [ids],
        );
        const eligible = new Set(still.rows.map((r) => r.id));
        const kept = rows.filter((r) => eligible.has(r.userId) && eligible.has(r.counterpartId));
        await client.query('DELETE FROM matches WHERE match_date = $1', [date]);
        const chunk = 5_000;
        for (let i = 0; i < kept.length; i += chunk) {
          const part = kept.slice(i, i + chunk);
          await client.query(
            `INSERT INTO matches (user_id, match_date, match_id, run_id, counterpart_id, alias, score, shared_bucket,
                                  top_categories, crossed_paths)
             SELECT u, $1::date, mid, $2, cp, alias, score, bucket,
                    CASE WHEN cats = '' THEN '{}'::text[] ELSE string_to_array(cats, ',') END, crossed
             FROM unnest($3::bigint[], $4::uuid[], $5::bigint[], $6::text[], $7::smallint[], $8::text[], $9::text[], $10::boolean[])
                  AS x(u, mid, cp, alias, score, bucket, cats, crossed)`,
            [
              date,
              run,
              part.map((r) => r.userId),
              part.map((r) => r.matchId),
              part.map((r) => r.counterpartId),
              part.map((r) => r.alias),
              part.map((r) => r.score),
              part.map((r) => r.sharedBucket),
              part.map((r) => r.topCategories.join(',')),
              part.map((r) => r.crossedPaths),
            ],
          );
        }
        await client.query(
          `UPDATE scoring_runs SET status = 'published', finished_at = now(), published_at = now(), error = NULL,
                  stages = jsonb_set(stages, '{publish}', $2::jsonb)
           WHERE id = $1`,
          [
            run,
            JSON.stringify({
              ...info,
              matchesRows: kept.length,
              skippedPairs: (rows.length - kept.length) / 2,
            }),
          ],
        );
        return { published: true, skippedPairs: (rows.length - kept.length) / 2 };
      });
    },

    /** Matches per eligible user of the run over the 30 days ending on the date (exposure). */
    async exposureCounts(runId: string, date: string): Promise<number[]> {
      const rows = await sql<{ n: number }>`
        SELECT coalesce(c.n, 0)::int AS n FROM run_users ru
        LEFT JOIN (SELECT user_id, count(*) AS n FROM matches
                   WHERE match_date > ${date}::date - 30 AND match_date <= ${date}::date GROUP BY user_id) c
          ON c.user_id = ru.user_id
        WHERE ru.run_id = ${runId}`.execute(db);
      return rows.rows.map((r) => r.n);
    },

    /** Retention (design section 6, rule 9): deletes transactions that occurred before `before`. */
    async purgeTransactions(before: Date): Promise<number> {
      const result = await sql`DELETE FROM transactions WHERE occurred_at < ${before}`.execute(db);
      return Number(result.numAffectedRows ?? 0n);
    },

    /** Removes what a run derived about one user (on a `transactions` consent withdrawal). */
    async deleteUserDerivedData(userId: string): Promise<number> {
      let total = 0;
      for (const q of [
        sql`DELETE FROM run_features WHERE user_id = ${userId}`,
        sql`DELETE FROM candidates WHERE user_id = ${userId}`,
        sql`DELETE FROM run_pools WHERE user_id = ${userId}`,
      ]) {
        const r = await q.execute(db);
        total += Number(r.numAffectedRows ?? 0n);
      }
      return total;
    },
  };
}

export type PipelineRepository = ReturnType<typeof createPipelineRepository>;
