import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { runMaxOverlap } from '../../../src/modules/pipeline/pair.jobs.ts';
import { BUSINESS_DATE, createPipelineEnv, matchesOf, waitForRun } from './harness.ts';

/**
 * A sharded run must equal a one-shard run on the same data, whether its shards hold whole cities
 * (symmetric kernel) or parts of split ones (one-sided kernel): idf is the run's, not a city's, and
 * the `sqrt` scale is the largest pair of the whole run, not of a shard. A small topK and a blend where co-presence and spend level
 * weigh as much as overlap make the cut sensitive to the scale.
 */
const WEIGHTS = {
  topK: 3,
  candidatePoolSize: 12,
  normalization: 'sqrt',
  blend: { overlap: 0.5, coPresence: 0.25, spendLevel: 0.25 },
};

type Outcome = {
  candidates: unknown[];
  matches: unknown[];
  shardMax: number[];
  runMax: number;
  /** How many shards hold users of each city. */
  shardsPerCity: number[];
  /** Prepare's bound on the run's largest pair. */
  scaleBound: number;
  /** The pair groups recorded, and the pair jobs BullMQ ran for them. */
  pairGroups: string[];
  pairGroupJobs: number;
};

type Tuning = {
  scoreChunks?: { inlineBelow: number; chunkUsers: number };
  shardSplitShare?: number;
};

async function runWithShards(shards: number, tuning: Tuning = {}): Promise<Outcome> {
  const env = await createPipelineEnv({ users: 400, seed: 11, env: { SCORE_SHARDS: String(shards) } });
  const runtime = createPipelineRuntime({ config: env.config, log: env.log, db: env.db, pool: env.pool });
  if (tuning.scoreChunks !== undefined) runtime.ctx.scoreChunks = tuning.scoreChunks;
  if (tuning.shardSplitShare !== undefined) runtime.ctx.shardSplitShare = tuning.shardSplitShare;
  try {
    await sql`
      WITH ws AS (
        INSERT INTO weight_sets (name, version, params, created_by)
        VALUES ('scale-sensitive', 2, ${JSON.stringify(WEIGHTS)}::jsonb, 'test') RETURNING id)
      INSERT INTO weight_set_activations (weight_set_id, activated_by) SELECT id, 'test' FROM ws`.execute(
      env.db,
    );
    runtime.startWorkers();
    const { run } = await runtime.runsService.startRun(BUSINESS_DATE, 'test');
    expect(await waitForRun(env.db, BUSINESS_DATE, 120_000)).toBe('published');
    const final = await runtime.runsService.get(run.id);
    const stages = final.stages;
    const shardInfo = (stages['score'] as { shards: Record<string, { maxOverlap: number }> }).shards;
    const candidates = await sql`
      SELECT user_id, candidate_ids, scores, overlap_scores, co_presences, spend_levels, shared_counts
      FROM candidates WHERE run_id = ${run.id} ORDER BY user_id`.execute(env.db);
    const matches = (await matchesOf(env.db, BUSINESS_DATE)).map(
      ({ match_id: _m, alias: _a, ...rest }) => rest,
    );
    const spread = await sql<{ shards: number }>`
      SELECT count(DISTINCT shard)::int AS shards FROM run_users WHERE run_id = ${run.id}
      GROUP BY city ORDER BY city`.execute(env.db);
    return {
      candidates: candidates.rows,
      matches,
      shardMax: Object.values(shardInfo).map((s) => s.maxOverlap),
      runMax: runMaxOverlap(stages),
      shardsPerCity: spread.rows.map((r) => r.shards),
      scaleBound: (stages['prepare'] as { scaleBound: number }).scaleBound,
      pairGroups: Object.keys((stages['pair'] as { shards: Record<string, unknown> }).shards).sort(),
      pairGroupJobs: (await runtime.queues.queues.pair.getJobs(['completed'])).filter(
        (j) => (j.data as { group?: number }).group !== undefined,
      ).length,
    };
  } finally {
    await runtime.close();
    await env.close();
  }
}

let one: Outcome;
let many: Outcome;
let split: Outcome;

beforeAll(async () => {
  one = await runWithShards(1);
  // Whole cities, each scored by the symmetric kernel on its own matrix.
  many = await runWithShards(4);
  // Every city above 10 % of the users split over several of 3 shards, each part scored one-sided
  // in kernel calls of 30 on a worker thread, each cut while the next runs with the largest pair
  // seen so far as the lower end of the scale; the small cities whole.
  split = await runWithShards(3, { scoreChunks: { inlineBelow: 10, chunkUsers: 30 }, shardSplitShare: 0.1 });
}, 240_000);

describe('a sharded run', () => {
  it('pairs each group of cities in a job of its own, a split city in one group', () => {
    expect(one.pairGroups).toEqual(['0']);
    expect(many.pairGroups).toEqual(['0', '1', '2', '3']);
    expect(many.pairGroupJobs).toBe(4);
    // every city's lowest shard: fewer groups than shards when a city spans all of them
    expect(split.pairGroups.length).toBeLessThanOrEqual(3);
    expect(split.pairGroupJobs).toBe(split.pairGroups.length);
  });

  it('deals whole cities to shards, or splits the large ones when told', () => {
    expect(many.shardsPerCity.length).toBeGreaterThan(4);
    expect(many.shardsPerCity.every((n) => n === 1)).toBe(true);
    expect(split.shardsPerCity.some((n) => n > 1)).toBe(true);
    expect(split.shardsPerCity.some((n) => n === 1)).toBe(true);
  });

  it('has shards whose own largest pair is below the run’s (so the scale matters)', () => {
    expect(many.shardMax).toHaveLength(4);
    expect(Math.min(...many.shardMax)).toBeLessThan(many.runMax);
    expect(many.runMax).toBe(one.runMax);
    // the shards cut with [own largest pair, prepare's bound]: the run's scale must lie within
    for (const run of [one, many, split]) {
      expect(run.scaleBound).toBeGreaterThanOrEqual(run.runMax);
      expect(run.scaleBound).toBe(one.scaleBound);
    }
  });

  it('stores the same final topK pools as a one-shard run', () => {
    expect(one.candidates.length).toBeGreaterThan(100);
    for (const row of one.candidates as Array<{ candidate_ids: string[] }>) {
      expect(row.candidate_ids.length).toBeLessThanOrEqual(WEIGHTS.topK);
    }
    expect(many.candidates).toEqual(one.candidates);
  });

  it('publishes the same matches as a one-shard run', () => {
    expect(one.matches.length).toBeGreaterThan(20);
    expect(many.matches).toEqual(one.matches);
  });

  it('stores the same pools and matches when large cities are split and scored in pipelined chunks', () => {
    expect(split.runMax).toBe(one.runMax);
    expect(split.candidates).toEqual(one.candidates);
    expect(split.matches).toEqual(one.matches);
  });
});
