import { RETENTION_HOURS as IDEMPOTENCY_RETENTION_HOURS } from '../idempotency/idempotency.service.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays, startOfDay } from '../../queue/schedule.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import type { MatchRow } from './pipeline.repository.ts';
import { aliasFor } from '../../core/masking/index.ts';
import { matchIdFor, pairReasons, type MerchantList } from './reasons.ts';

/** Days kept beyond the longest window of any weight set (design section 6, rule 9). */
export const RETENTION_MARGIN_DAYS = 30;

/** Gini coefficient of non-negative counts (0 = everyone equally exposed). */
export function gini(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  let total = 0;
  let weighted = 0;
  sorted.forEach((v, i) => {
    total += v;
    weighted += (i + 1) * v;
  });
  return total === 0 ? 0 : (2 * weighted) / (n * total) - (n + 1) / n;
}

/**
 * Publish: both matches rows of every pair (alias, integer score, shared bucket, top shared
 * categories, crossedPaths; never a merchant) replace the date's rows in one transaction that
 * also marks the run `published`. Then the retention purge and the exposure statistic.
 */
export async function processPublish(ctx: PipelineContext, job: StageJob): Promise<StageResult> {
  const payload = parsePayload('publish', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status !== 'publishing') return { skipped: run.status };
  await job.updateProgress(5);

  const started = performance.now();
  const weights = weightsOf(run);
  const pairs = await ctx.pipeline.pairs(run.id);
  const merchants = await ctx.pipeline.merchants(run.id);
  const prepare = run.stages['prepare'] as { featureUsers?: number } | undefined;
  const activeUsers = prepare?.featureUsers ?? 0;
  const features = new Map<string, MerchantList>();
  const ids = pairs.flatMap((p) => [p.userA, p.userB]);
  await ctx.pipeline.featureRows(run.id, merchants, (userId, row) => features.set(userId, row), ids);
  await job.updateProgress(40);

  const none: MerchantList = { merchants: [], visits: [], lastDays: [] };
  const rows: MatchRow[] = [];
  for (const p of pairs) {
    const matchId = matchIdFor(run.id, run.date, p.userA, p.userB);
    const reasons = pairReasons(
      features.get(p.userA) ?? none,
      features.get(p.userB) ?? none,
      weights,
      merchants,
      activeUsers,
      p.shared,
    );
    const common = {
      matchId,
      score: Math.max(0, Math.min(100, Math.round(100 * p.score))),
      sharedBucket: reasons.sharedBucket,
      topCategories: reasons.topCategories,
      crossedPaths: p.coPresence > 0,
    };
    // The alias the row's user sees for the counterpart: side `a` is user_a (the smaller id).
    rows.push({ ...common, userId: p.userA, counterpartId: p.userB, alias: aliasFor(matchId, 'a') });
    rows.push({ ...common, userId: p.userB, counterpartId: p.userA, alias: aliasFor(matchId, 'b') });
  }
  await job.updateProgress(60);

  const longest = await ctx.runs.longestWindowDays();
  const purgeBefore = startOfDay(
    addDays(run.date, -(longest + RETENTION_MARGIN_DAYS)),
    ctx.config.MATCH_TIMEZONE,
  );
  const purged = await ctx.pipeline.purgeTransactions(purgeBefore);
  const purgedIdempotencyRecords = await ctx.idempotency.purgeOlderThan(IDEMPOTENCY_RETENTION_HOURS);
  const info = {
    seconds: seconds(started),
    matchesRows: rows.length,
    purgedTransactions: purged,
    purgedIdempotencyRecords,
  };
  const { published, skippedPairs } = await ctx.pipeline.publishMatches(run.id, run.date, rows, info);
  if (!published) return { skipped: 'not_publishing' };
  const exposureGini = gini(await ctx.pipeline.exposureCounts(run.id, run.date));
  // The stage's time with the matches written (`info.seconds`, recorded with them, stops before).
  const done = { ...info, seconds: seconds(started) };
  await ctx.runs.recordStage(run.id, 'publish', {
    seconds: done.seconds,
    exposureGini30d: Math.round(exposureGini * 1e4) / 1e4,
  });
  await job.updateProgress(100);
  ctx.log.info({ runId: run.id, date: run.date, stage: 'publish', ...done, skippedPairs }, 'stage done');
  return { ...done, skippedPairs, exposureGini };
}
