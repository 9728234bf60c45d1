import { pairUsers, type IndexPair, type PairingUser } from '../../core/pairing/index.ts';
import type { Gender } from '../../core/shared/gender.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import { assertRecorded, runSubJobs, secondsSince, stageStartedAt } from './sub-jobs.ts';
import { scaleOverlap } from '../../core/scoring/candidates.ts';
import { coPresenceOf, rankPool, spendLevelOf } from '../../core/scoring/rerank.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import type { CandidateRow, PairRow, ShardPool } from './pipeline.repository.ts';

/** The run's largest pair: the largest `maxOverlap` any shard recorded. */
export function runMaxOverlap(stages: Record<string, unknown>): number {
  const shards =
    (stages['score'] as { shards?: Record<string, { maxOverlap?: unknown }> } | undefined)?.shards ?? {};
  let max = 0;
  for (const info of Object.values(shards)) {
    if (typeof info.maxOverlap === 'number' && info.maxOverlap > max) max = info.maxOverlap;
  }
  return max;
}

/**
 * A user's final pool, best first, as typed arrays (a run holds `topK` entries for each of its
 * users: objects per entry would cost millions of allocations).
 */
type Pool = {
  ids: Int32Array;
  /** The full score, unrounded: the pairing core's input. */
  score: Float64Array;
  overlap: Float64Array;
  coPresence: Float64Array;
  spendLevel: Float64Array;
  shared: Int16Array;
  /** The raw overlap as the shard stored it (before the run's scale). */
  rawOverlap: Float64Array;
};

/**
 * The final pools: each stored row re-ranked by the core's `rankPool` (`rerankPool`'s ranking) with `overlap` scaled by
 * the run's largest pair and cut to `topK`. Candidates that left the run (erased users) are
 * dropped first. Rows not in the snapshot are ignored.
 */
function finalPool(
  row: ShardPool,
  u: number,
  indexOf: ReadonlyMap<number, number>,
  avgTicket: Float64Array,
  weights: WeightSet,
  runMax: number,
): Pool {
  const m = row.candidateIds.length;
  // Snapshot index and stored position of each candidate still in the run.
  const candidatesAll = new Int32Array(m);
  const stored = new Int32Array(m);
  let n = 0;
  for (let j = 0; j < m; j++) {
    const c = indexOf.get(row.candidateIds[j]!);
    if (c === undefined) continue;
    candidatesAll[n] = c;
    stored[n] = j;
    n++;
  }
  const candidates = candidatesAll.subarray(0, n);
  const overlap = new Float64Array(n);
  const shared = new Int32Array(n);
  const coPresenceCount = new Int32Array(n);
  const avgTicketCandidate = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const j = stored[p]!;
    overlap[p] = scaleOverlap(row.overlap[j]!, weights.normalization, runMax);
    shared[p] = row.shared[j]!;
    // Stored as c/3 (float32): the count is recovered exactly.
    coPresenceCount[p] = Math.round(3 * row.coPresence[j]!);
    avgTicketCandidate[p] = avgTicket[candidates[p]!]!;
  }
  const { positions, score } = rankPool(
    { candidates, overlap, shared, coPresenceCount, avgTicketUser: avgTicket[u]!, avgTicketCandidate },
    weights,
  );
  const size = positions.length;
  const pool: Pool = {
    ids: new Int32Array(size),
    score: new Float64Array(size),
    overlap: new Float64Array(size),
    coPresence: new Float64Array(size),
    spendLevel: new Float64Array(size),
    shared: new Int16Array(size),
    rawOverlap: new Float64Array(size),
  };
  // rerankPool's components, by position: the same expressions (rerank.ts)
  for (let r = 0; r < size; r++) {
    const p = positions[r]!;
    pool.ids[r] = candidates[p]!;
    pool.score[r] = score[p]!;
    pool.overlap[r] = Math.min(1, Math.max(0, overlap[p]!));
    pool.coPresence[r] = coPresenceOf(coPresenceCount[p]!);
    pool.spendLevel[r] = spendLevelOf(avgTicket[u]!, avgTicketCandidate[p]!);
    pool.shared[r] = shared[p]!;
    pool.rawOverlap[r] = row.overlap[stored[p]!]!;
  }
  return pool;
}

/** The stored row of a final pool (scores and components as float32, as the table keeps them). */
function poolRow(userId: string, pool: Pool, userIds: readonly string[]): CandidateRow {
  return {
    userId,
    candidateIds: Array.from(pool.ids, (c) => userIds[c]!),
    scores: Float32Array.from(pool.score),
    // Raw, as the shards store it: a retried pair stage scales it again by the same run scale.
    overlap: pool.rawOverlap,
    coPresence: Float32Array.from(pool.coPresence),
    spendLevel: Float32Array.from(pool.spendLevel),
    shared: pool.shared,
  };
}

/** What a pair group records (`stages.pair.shards.<group>`); the coordinator sums them. */
type GroupInfo = {
  seconds: number;
  loadSeconds: number;
  pairingSeconds: number;
  writeSeconds: number;
  users: number;
  pairs: number;
  pairedUsers: number;
  /** Σ round(100·score) over the group's pairs, for the run's mean score. */
  score100Sum: number;
  usersWithEligibleEdge: number;
  eligibleEdges: number;
  improvementMoves: number;
};

const groupsOf = (stages: Record<string, unknown>): Record<string, GroupInfo> =>
  (stages['pair'] as { shards?: Record<string, GroupInfo> } | undefined)?.shards ?? {};

/**
 * Pair, the coordinator: runs once every score shard is done, when the run's scale (its largest
 * pair) is known. Pairs never cross a city, so the pairing splits into groups of cities
 * (`pairGroups`: a whole-city shard's cities; a split city whole in one group), each a job of its
 * own on any worker ({@link processPairGroup}). The coordinator adds the groups not yet recorded
 * as its children and waits for them (BullMQ's waiting-children state; it is processed again
 * when they are done), then sums their figures into the run's coverage and mean score and moves
 * the run to `publishing`. A job that cannot wait (a
 * test's stand-in) pairs the groups itself. A retried or duplicated coordinator adds only the
 * groups not recorded, and a recorded group is never paired twice.
 */
export async function processPair(ctx: PipelineContext, job: StageJob, token?: string): Promise<StageResult> {
  const payload = parsePayload('pair', job.data);
  if (payload.group !== undefined) return processPairGroup(ctx, job, payload.group);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status === 'scoring') await ctx.runs.advance(run.id, ['scoring'], 'pairing');
  else if (run.status !== 'pairing') return { skipped: run.status };
  const startedAt = await stageStartedAt(ctx, run, 'pair');
  const groups = await ctx.pipeline.pairGroups(run.id);
  const all = [...groups.keys()];
  const stage = { runId: payload.runId, date: payload.date, attempt: payload.attempt };
  const pending = all.filter((g) => groupsOf(run.stages)[String(g)] === undefined);
  await runSubJobs(job, token, pending, {
    enqueue: (parent) => ctx.queues.enqueuePairGroups(stage, pending, parent),
    inline: (group) => processPairGroup(ctx, job, group),
  });
  await job.updateProgress(90);

  const now = await ctx.runs.findById(run.id);
  const recorded = groupsOf(now?.stages ?? {});
  assertRecorded('pair groups', all, recorded);
  const parts = all.map((g) => recorded[String(g)]!);
  const sum = (key: keyof GroupInfo): number => parts.reduce((n, p) => n + p[key], 0);
  const pairs = sum('pairs');
  const pairedUsers = sum('pairedUsers');
  const eligibleUsers = sum('users');
  const weights = weightsOf(run);
  const info = {
    seconds: secondsSince(startedAt),
    groups: groups.size,
    pairs,
    pairedUsers,
    usersWithEligibleEdge: sum('usersWithEligibleEdge'),
    eligibleEdges: sum('eligibleEdges'),
    coverageEligible: sum('usersWithEligibleEdge') === 0 ? 0 : pairedUsers / sum('usersWithEligibleEdge'),
    improvementMoves: sum('improvementMoves'),
    runMaxOverlap: weights.normalization === 'cosine' ? 1 : runMaxOverlap(run.stages),
  };
  await ctx.runs.recordStage(run.id, 'pair', info);
  await ctx.runs.setStats(run.id, {
    pairedUsers,
    coverage: eligibleUsers === 0 ? 0 : pairedUsers / eligibleUsers,
    meanScore: pairs === 0 ? 0 : sum('score100Sum') / pairs,
  });
  await ctx.runs.advance(run.id, ['pairing'], 'publishing');
  await job.updateProgress(100);
  ctx.log.info({ runId: run.id, date: run.date, stage: 'pair', pairs, groups: groups.size }, 'stage done');
  return info;
}

/**
 * Pair, one group of cities: loads the shard pools of the group's users (`run_pools`, one COPY),
 * makes the exact `topK` cut of each pool at the run's scale (the largest pair of every shard)
 * with the core's re-ranking, replaces the group's `candidates` (delete then binary COPY, then
 * the GIN pending lists merged while it pairs), and
 * calls the pairing core on the group's users with the blocks, the cooldown pairs, suspensions
 * and consents as they are now. Replaces the group's `run_pairs` and records its figures. A
 * retry reads the same pools and writes the same rows; a recorded group is skipped.
 */
async function processPairGroup(ctx: PipelineContext, job: StageJob, group: number): Promise<StageResult> {
  const payload = parsePayload('pair', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status !== 'pairing') return { skipped: run.status };
  if (groupsOf(run.stages)[String(group)] !== undefined) return { skipped: 'group_done' };
  const cities = (await ctx.pipeline.pairGroups(run.id)).get(group);
  if (cities === undefined) return { skipped: 'no_such_group' };

  const started = performance.now();
  const weights = weightsOf(run);
  const snapshot = await ctx.pipeline.runUsers(run.id, cities);
  const index = new Map<string, number>(snapshot.map((u, i) => [u.userId, i]));
  // Ids are below 2^53 (bigint identities): number keys hash faster than the strings of a parse.
  const indexOf = new Map<number, number>(snapshot.map((u, i) => [Number(u.userId), i]));
  const userIds = snapshot.map((u) => u.userId);
  const avgTicket = Float64Array.from(snapshot, (u) => u.avgTicket);
  const pools: Array<Pool | undefined> = new Array<Pool | undefined>(snapshot.length);
  const runMax = weights.normalization === 'cosine' ? 1 : runMaxOverlap(run.stages);
  await ctx.pipeline.loadShardPools(
    run.id,
    (row) => {
      const u = indexOf.get(row.userId);
      if (u === undefined) return;
      pools[u] = finalPool(row, u, indexOf, avgTicket, weights, runMax);
    },
    cities,
  );
  const loadSeconds = seconds(started);

  const writeStarted = performance.now();
  function* finalRows(): Generator<CandidateRow> {
    for (let u = 0; u < pools.length; u++) {
      const pool = pools[u];
      if (pool !== undefined && pool.ids.length > 0) yield poolRow(userIds[u]!, pool, userIds);
    }
  }
  await ctx.pipeline.replaceRunCandidates(run.id, finalRows(), cities);
  const candidatesSeconds = seconds(writeStarted);
  // Postgres merges the GIN index's pending lists while this thread pairs (awaited below).
  const merged = ctx.pipeline.mergeCandidatesIndex();
  merged.catch(() => undefined);

  const pairingStarted = performance.now();
  const empty = { indices: new Int32Array(0), scores: new Float64Array(0), sharedCounts: new Int16Array(0) };
  const users: PairingUser[] = snapshot.map((s, i) => {
    const pool = pools[i];
    return {
      id: s.userId,
      city: s.city,
      gender: s.gender as Gender,
      seeking: s.seeking as Gender[],
      age: s.age,
      ageMin: s.ageMin,
      ageMax: s.ageMax,
      verified: s.verified,
      onlyVerified: s.onlyVerified,
      suspended: s.suspended,
      consentTransactions: s.consentTransactions,
      consentMatching: s.consentMatching,
      candidates:
        pool === undefined ? empty : { indices: pool.ids, scores: pool.score, sharedCounts: pool.shared },
    };
  });
  const toPairs = (rows: Array<[string, string]>): IndexPair[] =>
    rows.flatMap(([a, b]) => {
      const x = index.get(a);
      const y = index.get(b);
      return x === undefined || y === undefined ? [] : [[x, y] as const];
    });
  const blocks = toPairs(await ctx.pipeline.runBlocks(run.id));
  const recentPairs =
    weights.repeatCooldownDays > 0
      ? toPairs(
          await ctx.pipeline.recentPairs(run.id, addDays(run.date, -weights.repeatCooldownDays), run.date),
        )
      : [];
  const result = pairUsers(
    { users, blocks, recentPairs },
    { date: run.date, minSharedMerchants: weights.minSharedMerchants },
  );
  const pairingSeconds = seconds(pairingStarted);

  const component = (a: number, b: number): { overlap: number; cp: number; sl: number } => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const pool = pools[x];
      const at = pool === undefined ? -1 : pool.ids.indexOf(y);
      if (pool !== undefined && at >= 0) {
        return { overlap: pool.overlap[at]!, cp: pool.coPresence[at]!, sl: pool.spendLevel[at]! };
      }
    }
    return { overlap: 0, cp: 0, sl: 0 };
  };
  const pairs: PairRow[] = result.pairs.map((p) => {
    const ua = snapshot[p.a]!.userId;
    const ub = snapshot[p.b]!.userId;
    const c = component(p.a, p.b);
    const [userA, userB] = BigInt(ua) < BigInt(ub) ? [ua, ub] : [ub, ua];
    return {
      userA,
      userB,
      score: p.score,
      overlap: c.overlap,
      coPresence: c.cp,
      spendLevel: c.sl,
      shared: p.sharedMerchants,
    };
  });
  const pairsStarted = performance.now();
  await ctx.pipeline.writePairs(run.id, pairs, cities);
  await merged;
  const info: GroupInfo = {
    seconds: seconds(started),
    // Where the time went: loading and cutting the pools, pairing, writing pools and pairs.
    loadSeconds,
    pairingSeconds,
    writeSeconds: Math.round((candidatesSeconds + seconds(pairsStarted)) * 100) / 100,
    users: snapshot.length,
    pairs: pairs.length,
    pairedUsers: pairs.length * 2,
    score100Sum: pairs.reduce((s, p) => s + Math.round(100 * p.score), 0),
    usersWithEligibleEdge: result.stats.usersWithEligibleEdge,
    eligibleEdges: result.stats.eligibleEdges,
    improvementMoves: result.stats.improvementMoves,
  };
  await ctx.runs.recordSubJob(run.id, { stage: 'pair', list: 'shards' }, group, info);
  ctx.log.info({ runId: run.id, date: run.date, stage: 'pair', group, pairs: pairs.length }, 'group done');
  return info;
}
