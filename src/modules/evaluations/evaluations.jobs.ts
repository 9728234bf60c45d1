import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import { exposureCounts } from '../../core/evaluation/simulate-pairing.ts';
import { WeightSetSchema, type WeightSet } from '../../core/scoring/weight-set.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays, businessDate, runWindow } from '../../queue/schedule.ts';
import type { WeightSetsRepository } from '../weight-sets/weight-sets.repository.ts';
import type { EvaluationDataRepository, Snapshot } from './evaluation-data.repository.ts';
import {
  EXPOSURE_DAYS,
  pairIds,
  scoreOutcomes,
  simulateDays,
  toSetReport,
  type SetFigures,
} from './evaluation-report.ts';
import { scorePopulation } from './evaluation-scoring.ts';
import { EvaluationReport } from './evaluations.schemas.ts';
import type { EvaluationsRepository } from './evaluations.repository.ts';

/** What the evaluation job needs; built once per worker process. */
export type EvaluationContext = {
  config: Pick<Config, 'K_ANON' | 'MATCH_TIMEZONE' | 'SCORE_THREADS' | 'EVALUATION_OUTCOME_DAYS'>;
  log: Logger;
  clock: Clock;
  evaluations: EvaluationsRepository;
  data: EvaluationDataRepository;
  weightSets: Pick<WeightSetsRepository, 'findById' | 'activeActivation'>;
};

export type EvaluationJob = Pick<Job, 'data' | 'updateProgress' | 'id'>;

type SetToScore = { id: string; weights: WeightSet; full: boolean };

async function weightsOf(ctx: EvaluationContext, id: string): Promise<WeightSet> {
  const set = await ctx.weightSets.findById(id);
  if (set === undefined) throw new UnrecoverableError(`weight set ${id} not found`);
  const parsed = WeightSetSchema.safeParse(set.params);
  if (!parsed.success) throw new UnrecoverableError(`weight set ${id} has invalid parameters`);
  return parsed.data;
}

/**
 * Evaluate: scores the evaluated set (and the baseline, and the active set's first day when it is
 * neither) over the current data as the nightly run of the evaluation's business date would,
 * without writing any run, candidate or match; simulates `EXPOSURE_DAYS` days of pairing; scores
 * every past decided match; stores the aggregates as the report. Progress goes to the job and
 * to the row. A duplicate job of an ended evaluation does nothing.
 */
export async function processEvaluation(
  ctx: EvaluationContext,
  job: EvaluationJob,
): Promise<Record<string, unknown>> {
  const { evaluationId } = parsePayload('evaluate', job.data);
  const row = await ctx.evaluations.findById(evaluationId);
  if (row === undefined) return { skipped: 'unknown' };
  if (!(await ctx.evaluations.start(evaluationId, ctx.clock.now()))) return { skipped: row.status };
  const started = performance.now();

  let shown = -1;
  const progress = async (percent: number): Promise<void> => {
    const p = Math.max(0, Math.min(99, Math.floor(percent)));
    if (p <= shown) return;
    shown = p;
    await job.updateProgress(p);
    await ctx.evaluations.setProgress(evaluationId, p);
  };
  await progress(1);

  const activation = await ctx.weightSets.activeActivation();
  const activeId = activation?.weightSetId ?? null;
  const sets: SetToScore[] = [
    { id: row.weightSetId, weights: await weightsOf(ctx, row.weightSetId), full: true },
  ];
  // A baseline equal to the evaluated set is scored once and reported twice.
  if (row.baselineWeightSetId !== null && row.baselineWeightSetId !== row.weightSetId) {
    sets.push({
      id: row.baselineWeightSetId,
      weights: await weightsOf(ctx, row.baselineWeightSetId),
      full: true,
    });
  }
  if (activeId !== null && !sets.some((s) => s.id === activeId)) {
    sets.push({ id: activeId, weights: await weightsOf(ctx, activeId), full: false });
  }

  const date = businessDate(row.createdAt, ctx.config.MATCH_TIMEZONE);
  const year = Number(date.slice(0, 4));
  const maxCooldown = Math.max(...sets.map((s) => s.weights.repeatCooldownDays));
  const [blocks, matched, decided] = await Promise.all([
    ctx.data.blocks(),
    maxCooldown > 0 ? ctx.data.matchedPairs(addDays(date, -maxCooldown), date) : Promise.resolve([]),
    ctx.data.decidedMatches(addDays(date, 1 - ctx.config.EVALUATION_OUTCOME_DAYS), date),
  ]);
  const snapshots = new Map<string, Promise<Snapshot>>();
  const snapshotFor = (w: WeightSet): Promise<Snapshot> => {
    const key = `${String(w.windowDays)}|${String(w.minAmountCents)}`;
    let s = snapshots.get(key);
    if (s === undefined) {
      const window = runWindow(date, w.windowDays, ctx.config.MATCH_TIMEZONE);
      s = ctx.data.snapshot({
        windowStart: window.start,
        windowEnd: window.end,
        minAmountCents: w.minAmountCents,
        year,
      });
      snapshots.set(key, s);
    }
    return s;
  };
  await progress(5);

  // Each full set weighs 1 (scoring ½, simulation ⅖, outcomes the rest), the active set's day 1 ½.
  const total = sets.reduce((n, s) => n + (s.full ? 1 : 0.5), 0);
  let done = 0;
  const within = (share: number) => (fraction: number) =>
    progress(5 + (94 * (done + share * fraction)) / total);

  const figures = new Map<string, SetFigures>();
  let activeDay1: Array<[string, string]> | null = null;
  for (const set of sets) {
    const { weights } = set;
    const cooldownFrom = addDays(date, -weights.repeatCooldownDays);
    const scored = await scorePopulation({
      snapshot: await snapshotFor(weights),
      weights,
      blocks,
      recentPairs: weights.repeatCooldownDays > 0 ? recentPairsFrom(matched, cooldownFrom) : [],
      threads: ctx.config.SCORE_THREADS,
      onProgress: within(0.5),
    });
    done += 0.5;
    const days = await simulateDays(scored, weights, date, set.full ? EXPOSURE_DAYS : 1, within(0.4));
    const day1 = pairIds(scored, days[0] ?? []);
    if (set.id === activeId) activeDay1 = day1;
    if (!set.full) {
      done += 0.5;
      continue;
    }
    done += 0.4;
    figures.set(set.id, {
      weightSetId: set.id,
      eligibleUsers: scored.users.length,
      day1,
      day1Scores: (days[0] ?? []).map((p) => p.score),
      exposure: exposureCounts(scored.users.length, days),
      outcomes: await scoreOutcomes(scored, decided),
    });
    done += 0.1;
    await progress(5 + (94 * done) / total);
  }

  const reportOf = (id: string) => toSetReport(figures.get(id)!, activeDay1, ctx.config.K_ANON);
  const report = EvaluationReport.parse({
    evaluated: reportOf(row.weightSetId),
    baseline: row.baselineWeightSetId === null ? null : reportOf(row.baselineWeightSetId),
  });
  await job.updateProgress(100);
  await ctx.evaluations.complete(evaluationId, report, ctx.clock.now());
  const seconds = Math.round((performance.now() - started) / 10) / 100;
  ctx.log.info({ evaluationId, sets: sets.length, seconds }, 'evaluation done');
  return { seconds, decidedMatches: decided.length };
}

function recentPairsFrom(
  matched: ReadonlyArray<{ a: string; b: string; date: string }>,
  from: string,
): Array<[string, string]> {
  return matched.filter((m) => m.date >= from).map((m) => [m.a, m.b]);
}
