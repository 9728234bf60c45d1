import type { CandidatePools } from '../../core/scoring/candidates.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import { computeCandidates } from '../../scoring/parallel.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import type { CandidateRow, RunMerchants } from './pipeline.repository.ts';
import {
  buildCityMatrix,
  buildEligibility,
  minuteOffsets,
  rerank,
  type CityContext,
} from './shard-scoring.ts';

/** Below this many query users a city is scored on the job's own thread (threads cost ~50 ms). */
const INLINE_BELOW = 2_000;

const merchantCache = new Map<string, Promise<RunMerchants>>();

function runMerchants(ctx: PipelineContext, runId: string): Promise<RunMerchants> {
  let cached = merchantCache.get(runId);
  if (cached === undefined) {
    cached = ctx.pipeline.merchants(runId);
    cached.catch(() => merchantCache.delete(runId));
    merchantCache.set(runId, cached);
    // Keep the two newest runs: a worker process scores one night at a time.
    while (merchantCache.size > 2) merchantCache.delete(merchantCache.keys().next().value as string);
  }
  return cached;
}

const pairKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);

/**
 * Score one shard: for every city with users in the shard, load the city compactly (one COPY),
 * build its matrix, generate the shard users' exact pools with the eligibility filter applied
 * during generation (worker threads for large cities, so the event loop keeps renewing the job's
 * lock), re-rank by the full score and replace the shard's candidates rows in one transaction.
 * A shard already recorded in the run's stages is skipped (a duplicate after a Redis loss).
 */
export async function processScore(ctx: PipelineContext, job: StageJob): Promise<StageResult> {
  const payload = parsePayload('score', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status !== 'scoring') return { skipped: run.status };
  const done = (run.stages['score'] as { shards?: Record<string, unknown> } | undefined)?.shards;
  if (done?.[String(payload.shard)] !== undefined) return { skipped: 'shard_done' };

  const started = performance.now();
  const weights = weightsOf(run);
  const merchants = await runMerchants(ctx, run.id);
  const cities = await ctx.pipeline.shardCities(run.id, payload.shard);
  const cooldownFrom = addDays(run.date, -weights.repeatCooldownDays);
  const perCity: Array<{ city: string; context: CityContext; pools: CandidatePools; excluded: Set<string> }> =
    [];
  let queryUsers = 0;
  for (const [i, city] of cities.entries()) {
    const users = await ctx.pipeline.loadCity(run.id, city);
    const query = Int32Array.from(
      users.flatMap((u, idx) => (u.shard === payload.shard && u.merchants.length > 0 ? [idx] : [])),
    );
    queryUsers += query.length;
    const matrix = buildCityMatrix(users, merchants, weights);
    const { eligibility, ageInFilter } = buildEligibility(users, city);
    const pools = await computeCandidates(matrix, {
      k: weights.candidatePoolSize,
      users: query,
      minSharedMerchants: weights.minSharedMerchants,
      eligibility,
      threads: query.length < INLINE_BELOW ? 0 : ctx.config.SCORE_THREADS,
    });
    const excluded = new Set<string>();
    if (weights.repeatCooldownDays > 0) {
      for (const [a, b] of await ctx.pipeline.recentPairs(run.id, cooldownFrom, run.date, city)) {
        excluded.add(pairKey(a, b));
      }
    }
    for (const [a, b] of await ctx.pipeline.cityBlocks(run.id, city)) excluded.add(pairKey(a, b));
    const avgTicket = Float64Array.from(users, (u) => (u.txnCount > 0 ? u.amountCents / u.txnCount : 0));
    perCity.push({
      city,
      context: { users, matrix, query, minuteStart: users.map(minuteOffsets), avgTicket, ageInFilter },
      pools,
      excluded,
    });
    await job.updateProgress(Math.round((80 * (i + 1)) / Math.max(1, cities.length)));
  }

  // The re-rank scale: the shard's largest pair (the pair stage rescales with the run's).
  const maxOverlap = perCity.reduce((m, c) => Math.max(m, c.pools.maxOverlap), 0);
  const scale = weights.normalization === 'cosine' ? 1 : maxOverlap;
  const rows: CandidateRow[] = [];
  for (const c of perCity) {
    const cityRows = rerank({
      city: c.city,
      context: c.context,
      pools: c.pools,
      weights,
      scale,
      excluded: (a, b) => c.excluded.has(pairKey(a, b)),
    });
    for (const row of cityRows) rows.push(row);
  }
  await ctx.pipeline.writeCandidates(run.id, payload.shard, rows);
  const candidates = rows.reduce((n, r) => n + r.candidateIds.length, 0);
  const info = {
    seconds: seconds(started),
    cities: cities.length,
    users: queryUsers,
    candidates,
    maxOverlap,
  };
  await ctx.runs.recordShard(run.id, payload.shard, info);
  await job.updateProgress(100);
  ctx.log.info(
    { runId: run.id, date: run.date, stage: 'score', shard: payload.shard, ...info },
    'stage done',
  );
  return info;
}
