import { pairUsers, type IndexPair, type PairingUser } from '../../core/pairing/index.ts';
import type { Gender } from '../../core/shared/gender.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import type { PairRow } from './pipeline.repository.ts';

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

type Lists = {
  ids: Int32Array;
  overlap: Float32Array;
  cp: Float32Array;
  sl: Float32Array;
  shared: Int16Array;
};

/**
 * Pair: loads every candidate row of the run (one COPY), rescales `overlap` by the run's largest
 * pair, and calls the pairing core with the blocks, the cooldown pairs, suspensions and consents
 * as they are now. Writes `run_pairs` (delete then insert) and the run's coverage and mean score.
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
  const lists: Array<Lists | undefined> = new Array<Lists | undefined>(snapshot.length);
  const runMax = weights.normalization === 'cosine' ? 1 : runMaxOverlap(run.stages);
  const { blend } = weights;
  const scored = new Array<Float64Array | undefined>(snapshot.length);
  await ctx.pipeline.loadCandidates(run.id, (row) => {
    const u = index.get(row.userId);
    if (u === undefined) return;
    const n = row.candidateIds.length;
    const l: Lists = {
      ids: new Int32Array(n),
      overlap: Float32Array.from(row.overlap),
      cp: Float32Array.from(row.coPresence),
      sl: Float32Array.from(row.spendLevel),
      shared: Int16Array.from(row.shared),
    };
    const scores = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      l.ids[j] = index.get(row.candidateIds[j]!) ?? -1;
      const ov = runMax > 0 ? Math.min(1, l.overlap[j]! / runMax) : l.overlap[j]!;
      scores[j] = blend.overlap * ov + blend.coPresence * l.cp[j]! + blend.spendLevel * l.sl[j]!;
    }
    lists[u] = l;
    scored[u] = scores;
  });
  await job.updateProgress(40);

  const empty = { indices: new Int32Array(0), scores: new Float64Array(0), sharedCounts: new Int16Array(0) };
  const users: PairingUser[] = snapshot.map((s, i) => {
    const l = lists[i];
    // Candidates that left the run (erased users) have index −1: keep only known ones.
    let candidates = empty as PairingUser['candidates'];
    if (l !== undefined) {
      const keep: number[] = [];
      for (let j = 0; j < l.ids.length; j++) if (l.ids[j]! >= 0) keep.push(j);
      candidates = {
        indices: Int32Array.from(keep, (j) => l.ids[j]!),
        scores: Float64Array.from(keep, (j) => scored[i]![j]!),
        sharedCounts: Int16Array.from(keep, (j) => l.shared[j]!),
      };
    }
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
      candidates,
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
  await job.updateProgress(80);

  const component = (a: number, b: number): { overlap: number; cp: number; sl: number } => {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const l = lists[x];
      if (l === undefined) continue;
      for (let j = 0; j < l.ids.length; j++) {
        if (l.ids[j] === y) {
          const ov = runMax > 0 ? Math.min(1, l.overlap[j]! / runMax) : l.overlap[j]!;
          return { overlap: ov, cp: l.cp[j]!, sl: l.sl[j]! };
        }
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
