import { parsePayload } from '../../queue/payloads.ts';
import { runWindow } from '../../queue/schedule.ts';
import { weightsOf } from '../runs/runs.service.ts';
import type { RunRecord } from '../runs/runs.repository.ts';
import {
  runOfJob,
  seconds,
  shardsOf,
  type PipelineContext,
  type StageJob,
  type StageResult,
} from './context.ts';
import type { PartCounts, PreparedPart, TransactionPart } from './pipeline.repository.ts';
import { planShards } from './shard-plan.ts';
import { assertRecorded, runSubJobs, secondsSince, stageStartedAt } from './sub-jobs.ts';
import { buildCityMatrix, overlapScaleBound, type FeatureRow } from './shard-scoring.ts';

/** What prepare records of its snapshot (`stages.prepare.snapshot`). */
type SnapshotInfo = { eligibleUsers: number; seconds: number };

/**
 * What a part records (`stages.prepare.parts.<part>`): its counts, seconds and `scaleBound`, a
 * bound on the norms of its users ({@link partScaleBound}).
 */
type PartInfo = PartCounts & { seconds: number; scaleBound?: number };

const prepareStage = (run: Pick<RunRecord, 'stages'>) =>
  run.stages['prepare'] as
    { startedAt?: unknown; snapshot?: SnapshotInfo; parts?: Record<string, PartInfo> } | undefined;

/**
 * Prepare, the coordinator, in three steps, each recorded so that a retried or duplicated job
 * does only what is left:
 * 1. the snapshot: the eligible users, their cities dealt to the score shards (shard-plan.ts);
 * 2. the parts, one job per hash partition of `transactions` on any worker
 *    ({@link processPreparePart}): the window aggregated into feature rows. The coordinator adds
 *    the parts not yet recorded as its children and waits for them (BullMQ's waiting-children
 *    state; it is processed again when they are done). A job that cannot wait (a test's
 *    stand-in) runs the parts itself;
 * 3. the run's merchant table (df summed over the parts) and the bound on the run's largest pair
 *    (`scaleBound`, the largest of the parts' bounds: the shards, which see one city each, cut
 *    their pools with it). Then the run
 *    moves to `scoring` and the flow publish ← pair ← score shards is added with deterministic
 *    ids. A duplicate or late prepare job of a run already past this stage only makes sure the
 *    flow exists.
 */
export async function processPrepare(
  ctx: PipelineContext,
  job: StageJob,
  token?: string,
): Promise<StageResult> {
  const payload = parsePayload('prepare', job.data);
  if (payload.part !== undefined) return processPreparePart(ctx, job, payload.part);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status === 'scoring' || run.status === 'pairing' || run.status === 'publishing') {
    await ctx.queues.enqueueFlow(payload, shardsOf(run, ctx.config.SCORE_SHARDS));
    return { skipped: 'already_prepared' };
  }
  if (run.status !== 'pending' && run.status !== 'preparing') return { skipped: run.status };
  await ctx.runs.advance(run.id, ['pending', 'preparing'], 'preparing');
  await job.updateProgress(5);

  const startedAt = await stageStartedAt(ctx, run, 'prepare');
  const shards = ctx.config.SCORE_SHARDS;
  let snapshot = prepareStage(run)?.snapshot;
  if (snapshot === undefined) {
    const snapshotStarted = performance.now();
    const eligibleUsers = await ctx.pipeline.prepareSnapshot({
      runId: run.id,
      planShards: (cities) => planShards(cities, shards, ctx.shardSplitShare),
      year: Number(run.date.slice(0, 4)),
    });
    snapshot = { eligibleUsers, seconds: seconds(snapshotStarted) };
    await ctx.runs.recordStage(run.id, 'prepare', { snapshot });
  }
  await job.updateProgress(15);

  const parts = await ctx.pipeline.transactionParts();
  const all = parts.map((p) => p.part);
  const stage = { runId: payload.runId, date: payload.date, attempt: payload.attempt };
  const pending = all.filter((n) => prepareStage(run)?.parts?.[String(n)] === undefined);
  await runSubJobs(job, token, pending, {
    enqueue: (parent) => ctx.queues.enqueuePrepareParts(stage, pending, parent),
    // transactionParts numbers the parts 0, 1, … in order
    inline: (part) => preparePart(ctx, run, parts[part]!, snapshot.eligibleUsers),
  });
  const now = await ctx.runs.findById(run.id);
  const recorded = now === undefined ? {} : (prepareStage(now)?.parts ?? {});
  assertRecorded('prepare parts', all, recorded);
  await job.updateProgress(75);

  const merchants = await ctx.pipeline.finishPrepare(run.id);
  await job.updateProgress(90);
  const partInfos = Object.values(recorded);
  // a user's features are in one part only
  const counts = { featureUsers: partInfos.reduce((n, p) => n + p.featureUsers, 0), merchants };
  const partSeconds = partInfos.map((p) => p.seconds);
  // A part recorded without a bound (by an older version) leaves the run without one: the
  // shards then cut with an infinite bound, more loosely, to the same final pools.
  const scaleBound = partInfos.every((p) => typeof p.scaleBound === 'number')
    ? Math.max(0, ...partInfos.map((p) => p.scaleBound!))
    : undefined;
  const info = {
    seconds: secondsSince(startedAt),
    snapshotSeconds: snapshot.seconds,
    partCount: parts.length,
    partSecondsMax: Math.max(0, ...partSeconds),
    partSecondsSum: Math.round(partSeconds.reduce((a, b) => a + b, 0) * 100) / 100,
    shards,
    ...(scaleBound !== undefined && { scaleBound }),
    eligibleUsers: snapshot.eligibleUsers,
    ...counts,
  };
  await ctx.runs.recordStage(run.id, 'prepare', info);
  await ctx.runs.setStats(run.id, { eligibleUsers: snapshot.eligibleUsers });
  await ctx.runs.advance(run.id, ['preparing'], 'scoring');
  await ctx.queues.enqueueFlow(payload, shards);
  await job.updateProgress(100);
  ctx.log.info(
    { runId: run.id, date: run.date, stage: 'prepare', eligibleUsers: snapshot.eligibleUsers, ...counts },
    'stage done',
  );
  return { eligibleUsers: snapshot.eligibleUsers, ...counts };
}

/**
 * Prepare, one part: the window's transactions of one hash partition of `transactions`,
 * aggregated for the snapshot's users into their feature rows and the part's df counts (one
 * transaction: a retry rewrites the same rows). A recorded part is skipped; a part of a run that
 * is not preparing, or whose snapshot is not recorded, is stale.
 */
async function processPreparePart(ctx: PipelineContext, job: StageJob, part: number): Promise<StageResult> {
  const payload = parsePayload('prepare', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status !== 'preparing') return { skipped: run.status };
  const stage = prepareStage(run);
  if (stage?.snapshot === undefined) return { skipped: 'no_snapshot' };
  if (stage.parts?.[String(part)] !== undefined) return { skipped: 'part_done' };
  const found = (await ctx.pipeline.transactionParts()).find((p) => p.part === part);
  if (found === undefined) return { skipped: 'no_such_part' };
  await job.updateProgress(10);
  const info = await preparePart(ctx, run, found, stage.snapshot.eligibleUsers);
  await job.updateProgress(100);
  return { part, ...info };
}

/**
 * Aggregates one part, bounds its users' norms ({@link partScaleBound}) and records both
 * (`stages.prepare.parts.<part>`).
 */
async function preparePart(
  ctx: PipelineContext,
  run: RunRecord,
  part: TransactionPart,
  eligibleUsers: number,
): Promise<PartInfo> {
  const started = performance.now();
  const weights = weightsOf(run);
  const window = runWindow(run.date, weights.windowDays, ctx.config.MATCH_TIMEZONE);
  const prepared = await ctx.pipeline.preparePart(
    {
      runId: run.id,
      part: part.part,
      windowStart: window.start,
      windowEnd: window.end,
      minAmountCents: weights.minAmountCents,
    },
    part,
  );
  const scaleBound = await partScaleBound(ctx, run, prepared, eligibleUsers);
  const info = {
    featureUsers: prepared.featureUsers,
    merchants: prepared.merchants,
    scaleBound,
    seconds: seconds(started),
  };
  await ctx.runs.recordSubJob(run.id, { stage: 'prepare', list: 'parts' }, part.part, info);
  return info;
}

/**
 * A bound on the largest pair any of the part's users can have: {@link overlapScaleBound} over
 * their rows, weighted with the part's own df and the snapshot's user count for N. The run's df
 * is not known until every part is done, but it only makes the bound larger: a merchant's df in
 * the run is at least its df in the part, and the run's N (users with a row) at most the
 * snapshot's, so each idf here is at least the run's (idf^e grows with idf for e ≥ 0), and a
 * merchant the run makes a stop-merchant (weight 0) may keep a weight here. Every weight, hence
 * every norm, is at least the run's, and the largest of the parts' bounds bounds the run's
 * largest pair. Computed in the parts, on any worker, from the rows the part has just written,
 * instead of over every user in the coordinator (6 s on one process at 200,000 users).
 */
async function partScaleBound(
  ctx: PipelineContext,
  run: RunRecord,
  prepared: PreparedPart,
  eligibleUsers: number,
): Promise<number> {
  const merchants = await ctx.pipeline.merchantsOf(prepared.df);
  const index = new Map(merchants.merchantIds.map((id, idx) => [Number(id), idx]));
  const rows: FeatureRow[] = prepared.features.map((f) => ({
    merchants: f.merchantIds.map((id) => index.get(id)!),
    visits: f.visits,
    lastDays: f.lastDays,
  }));
  const matrix = buildCityMatrix(rows, merchants, weightsOf(run), {
    population: { activeUsers: Math.max(1, eligibleUsers), df: merchants.df },
  });
  return overlapScaleBound(matrix);
}
