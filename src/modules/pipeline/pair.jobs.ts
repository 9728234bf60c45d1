import { pairUsers, type IndexPair, type PairingUser } from '../../core/pairing/index.ts';
import type { Gender } from '../../core/shared/gender.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import { scaleOverlap } from '../../core/scoring/candidates.ts';
import { rerankPool, type RankedPair } from '../../core/scoring/rerank.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import type { CandidateRow, PairRow } from './pipeline.repository.ts';

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

/** A user's final pool: snapshot indices and components, best first. */
type Pool = { ids: Int32Array; ranked: RankedPair[]; rawOverlap: Float64Array };

/**
 * The final pools: each stored row re-ranked by the core's `rerankPool` with `overlap` scaled by
 * the run's largest pair and cut to `topK`. Candidates that left the run (erased users) are
 * dropped first. Rows not in the snapshot are ignored.
 */
function finalPool(
  row: CandidateRow,
  u: number,
  index: ReadonlyMap<string, number>,
  snapshot: ReadonlyArray<{ avgTicket: number }>,
  weights: WeightSet,
  runMax: number,
): Pool {
  const keep: number[] = [];
  for (let j = 0; j < row.candidateIds.length; j++) {
    if (index.has(row.candidateIds[j]!)) keep.push(j);
  }
  const candidates = Int32Array.from(keep, (j) => index.get(row.candidateIds[j]!)!);
  const ranked = rerankPool(
    {
      candidates,
      overlap: Float64Array.from(keep, (j) => scaleOverlap(row.overlap[j]!, weights.normalization, runMax)),
      shared: Int32Array.from(keep, (j) => row.shared[j]!),
      // Stored as c/3 (float32): the count is recovered exactly.
      coPresenceCount: Int32Array.from(keep, (j) => Math.round(3 * row.coPresence[j]!)),
      avgTicketUser: snapshot[u]!.avgTicket,
      avgTicketCandidate: Float64Array.from(candidates, (c) => snapshot[c]!.avgTicket),
    },
    weights,
  );
  const raw = new Map<number, number>();
  keep.forEach((j, p) => raw.set(candidates[p]!, row.overlap[j]!));
  return {
    ids: Int32Array.from(ranked, (r) => r.candidate),
    ranked,
    rawOverlap: Float64Array.from(ranked, (r) => raw.get(r.candidate)!),
  };
}

/**
 * Pair: loads every candidate row of the run (one COPY), makes the exact `topK` cut of each pool
 * at the run's scale (the largest pair of every shard) with the core's re-ranking, stores these
 * final pools, and calls the pairing core with the blocks, the cooldown pairs, suspensions and
 * consents as they are now. Writes `run_pairs` (delete then insert) and the run's coverage and
 * mean score. A retry reads the final pools it stored, whose cut is the same.
 */
export async function processPair(ctx: PipelineContext, job: StageJob): Promise<StageResult> {
  const payload = parsePayload('pair', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status === 'scoring') await ctx.runs.advance(run.id, ['scoring'], 'pairing');
  else if (run.status !== 'pairing') return { skipped: run.status };
  await job.updateProgress(5);

  const started = performance.now();
  const weights = weightsOf(run);
  const snapshot = await ctx.pipeline.runUsers(run.id);
  const index = new Map<string, number>(snapshot.map((u, i) => [u.userId, i]));
  const pools: Array<Pool | undefined> = new Array<Pool | undefined>(snapshot.length);
  const runMax = weights.normalization === 'cosine' ? 1 : runMaxOverlap(run.stages);
  const finalRows: CandidateRow[] = [];
  await ctx.pipeline.loadCandidates(run.id, (row) => {
    const u = index.get(row.userId);
    if (u === undefined) return;
    const pool = finalPool(row, u, index, snapshot, weights, runMax);
    pools[u] = pool;
    if (pool.ranked.length === 0) return;
    finalRows.push({
      userId: row.userId,
      candidateIds: pool.ranked.map((r) => snapshot[r.candidate]!.userId),
      scores: pool.ranked.map((r) => Math.fround(r.score)),
      // Raw, as the shards store it: a retried pair stage scales it again by the same run scale.
      overlap: pool.rawOverlap,
      coPresence: pool.ranked.map((r) => Math.fround(r.coPresence)),
      spendLevel: pool.ranked.map((r) => Math.fround(r.spendLevel)),
      shared: pool.ranked.map((r) => r.sharedMerchantCount),
    });
  });
  await job.updateProgress(30);

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
        pool === undefined
          ? empty
          : {
              indices: pool.ids,
              scores: Float64Array.from(pool.ranked, (r) => r.score),
              sharedCounts: Int16Array.from(pool.ranked, (r) => r.sharedMerchantCount),
            },
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
  await job.updateProgress(70);
  await ctx.pipeline.replaceRunCandidates(run.id, finalRows);
  await job.updateProgress(85);

  const component = (a: number, b: number): { overlap: number; cp: number; sl: number } => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const r = pools[x]?.ranked.find((e) => e.candidate === y);
      if (r !== undefined) return { overlap: r.overlap, cp: r.coPresence, sl: r.spendLevel };
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
  await ctx.pipeline.writePairs(run.id, pairs);

  const pairedUsers = pairs.length * 2;
  const eligibleUsers = snapshot.length;
  const meanScore =
    pairs.length === 0 ? 0 : pairs.reduce((s, p) => s + Math.round(100 * p.score), 0) / pairs.length;
  const info = {
    seconds: seconds(started),
    pairs: pairs.length,
    pairedUsers,
    usersWithEligibleEdge: result.stats.usersWithEligibleEdge,
    eligibleEdges: result.stats.eligibleEdges,
    coverageEligible: result.stats.coverageEligible,
    improvementMoves: result.stats.improvementMoves,
    runMaxOverlap: runMax,
  };
  await ctx.runs.recordStage(run.id, 'pair', info);
  await ctx.runs.setStats(run.id, {
    pairedUsers,
    coverage: eligibleUsers === 0 ? 0 : pairedUsers / eligibleUsers,
    meanScore,
  });
  await ctx.runs.advance(run.id, ['pairing'], 'publishing');
  await job.updateProgress(100);
  ctx.log.info(
    { runId: run.id, date: run.date, stage: 'pair', pairs: pairs.length, seconds: info.seconds },
    'stage done',
  );
  return info;
}
