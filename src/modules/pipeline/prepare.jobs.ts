import { parsePayload } from '../../queue/payloads.ts';
import { runWindow } from '../../queue/schedule.ts';
import { weightsOf } from '../runs/runs.service.ts';
import {
  runOfJob,
  seconds,
  shardsOf,
  type PipelineContext,
  type StageJob,
  type StageResult,
} from './context.ts';
import { planShards } from './shard-plan.ts';
import { buildCityMatrix, overlapScaleBound } from './shard-scoring.ts';

/**
 * Prepare: snapshots the eligible users, deals their cities to the score shards (shard-plan.ts)
 * and aggregates the window into run tables (one transaction, so a retry rewrites the same rows),
 * records the bound on the run's largest pair (`scaleBound`: the shards, which see one city each,
 * cut their pools with it), then moves the run to `scoring` and adds the
 * flow publish ← pair ← score shards with deterministic ids. A duplicate or late prepare job of a
 * run already past this stage only makes sure the flow exists.
 */
export async function processPrepare(ctx: PipelineContext, job: StageJob): Promise<StageResult> {
  const payload = parsePayload('prepare', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status === 'scoring' || run.status === 'pairing' || run.status === 'publishing') {
    await ctx.queues.enqueueFlow(payload, shardsOf(run, ctx.config.SCORE_SHARDS));
    return { skipped: 'already_prepared' };
  }
  if (run.status !== 'pending' && run.status !== 'preparing') return { skipped: run.status };
  await ctx.runs.advance(run.id, ['pending', 'preparing'], 'preparing');
  await job.updateProgress(5);

  const started = performance.now();
  const weights = weightsOf(run);
  const shards = ctx.config.SCORE_SHARDS;
  const window = runWindow(run.date, weights.windowDays, ctx.config.MATCH_TIMEZONE);
  const counts = await ctx.pipeline.prepare({
    runId: run.id,
    date: run.date,
    planShards: (cities) => planShards(cities, shards, ctx.shardSplitShare),
    windowStart: window.start,
    windowEnd: window.end,
    minAmountCents: weights.minAmountCents,
    year: Number(run.date.slice(0, 4)),
  });
  await job.updateProgress(80);
  const boundStarted = performance.now();
  // Shards score their cities alone: the bound on the run's largest pair comes from every user.
  const [features, merchants] = await Promise.all([
    ctx.pipeline.featureRows(run.id),
    ctx.pipeline.merchants(run.id),
  ]);
  const scaleBound = overlapScaleBound(buildCityMatrix(features, merchants, weights));
  await job.updateProgress(90);
  const boundSeconds = seconds(boundStarted);
  await ctx.runs.recordStage(run.id, 'prepare', {
    seconds: seconds(started),
    boundSeconds,
    shards,
    scaleBound,
    ...counts,
  });
  await ctx.runs.setStats(run.id, { eligibleUsers: counts.eligibleUsers });
  await ctx.runs.advance(run.id, ['preparing'], 'scoring');
  await ctx.queues.enqueueFlow(payload, shards);
  await job.updateProgress(100);
  ctx.log.info({ runId: run.id, date: run.date, stage: 'prepare', ...counts }, 'stage done');
  return { ...counts };
}
