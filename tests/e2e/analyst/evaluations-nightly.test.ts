import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { WeightSetSchema } from '../../../src/core/scoring/weight-set.ts';
import { pairIds, simulateDays } from '../../../src/modules/evaluations/evaluation-report.ts';
import { scorePopulation } from '../../../src/modules/evaluations/evaluation-scoring.ts';
import { processEvaluation } from '../../../src/modules/evaluations/evaluations.jobs.ts';
import { evaluationContextFrom } from '../../../src/modules/evaluations/evaluations.module.ts';
import type { EvaluationReport } from '../../../src/modules/evaluations/evaluations.schemas.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { runWindow } from '../../../src/queue/schedule.ts';
import {
  BUSINESS_DATE,
  createPipelineEnv,
  waitForRun,
  type PipelineTestEnv,
} from '../../integration/pipeline/harness.ts';

/**
 * An evaluation of the active set must see what the nightly run does: on a generated population
 * of 300 users, after the runs of the day before (whose matches put pairs in the cooldown) and of
 * the day itself, the evaluation's first day is the published pairing, pair for pair.
 */

const DAY_BEFORE = '2026-11-21';
let env: PipelineTestEnv;
let runtime: PipelineRuntime;

beforeAll(async () => {
  env = await createPipelineEnv();
  runtime = createPipelineRuntime({ config: env.config, log: env.log, db: env.db, pool: env.pool });
  runtime.startWorkers({ queues: ['nightly', 'prepare', 'score', 'pair', 'publish'] });
  await runtime.runsService.startRun(DAY_BEFORE, 'test');
  expect(await waitForRun(env.db, DAY_BEFORE)).toBe('published');
  await runtime.runsService.startRun(BUSINESS_DATE, 'test');
  expect(await waitForRun(env.db, BUSINESS_DATE)).toBe('published');
}, 180_000);

afterAll(async () => {
  await runtime.close();
  await env.close();
});

const ctxAt = (at: string) =>
  evaluationContextFrom({
    config: env.config,
    log: env.log,
    db: env.db,
    pool: env.pool,
    clock: fixedClock(at),
  });

describe('an evaluation of the active set', () => {
  it("pairs exactly as the day's nightly run did, with the previous day's matches in the cooldown", async () => {
    const ctx = ctxAt('2026-11-22T10:00:00Z');
    const set = await ctx.weightSets.findById('1');
    const weights = WeightSetSchema.parse(set?.params);
    const window = runWindow(BUSINESS_DATE, weights.windowDays, env.config.MATCH_TIMEZONE);
    const snapshot = await ctx.data.snapshot({
      windowStart: window.start,
      windowEnd: window.end,
      minAmountCents: weights.minAmountCents,
      year: 2026,
    });
    const recent = await ctx.data.matchedPairs('2026-08-24', BUSINESS_DATE);
    expect(recent.length).toBeGreaterThan(10);
    const scored = await scorePopulation({
      snapshot,
      weights,
      blocks: await ctx.data.blocks(),
      recentPairs: recent.map((m) => [m.a, m.b] as const),
      threads: 0,
      onProgress: () => Promise.resolve(),
    });
    const [day1] = await simulateDays(scored, weights, BUSINESS_DATE, 1, () => Promise.resolve());
    const evaluated = pairIds(scored, day1 ?? [])
      .map(([a, b]) => (BigInt(a) < BigInt(b) ? `${a}-${b}` : `${b}-${a}`))
      .sort();

    const { rows } = await sql<{ a: string; b: string; score: number }>`
      SELECT p.user_a AS a, p.user_b AS b, p.score FROM run_pairs p
      JOIN scoring_runs r ON r.id = p.run_id WHERE r.business_date = ${BUSINESS_DATE}`.execute(env.db);
    expect(rows.length).toBeGreaterThan(10);
    expect(evaluated).toEqual(rows.map((r) => `${r.a}-${r.b}`).sort());
    // the cooldown mattered: some of the day before's pairs would pair again without it
    const repeated = await scorePopulation({
      snapshot,
      weights,
      blocks: [],
      recentPairs: [],
      threads: 0,
      onProgress: () => Promise.resolve(),
    });
    const [free] = await simulateDays(repeated, weights, BUSINESS_DATE, 1, () => Promise.resolve());
    const before = new Set(recent.map((m) => `${m.a}-${m.b}`));
    const again = pairIds(repeated, free ?? []).filter(
      ([a, b]) => before.has(`${a}-${b}`) || before.has(`${b}-${a}`),
    );
    expect(again.length).toBeGreaterThan(0);
  });

  it("the job's report gives the run's eligible users, coverage and mean score, and identical share 1", async () => {
    const ctx = ctxAt('2026-11-22T11:00:00Z');
    const row = await ctx.evaluations.insert({
      weightSetId: '1',
      baselineWeightSetId: null,
      requestedBy: 'test',
      createdAt: new Date('2026-11-22T10:30:00Z'),
    });
    const progress: number[] = [];
    await processEvaluation(ctx, {
      id: row.id,
      data: { evaluationId: row.id },
      updateProgress: (p: unknown) => {
        progress.push(p as number);
        return Promise.resolve();
      },
    });
    const done = await ctx.evaluations.findById(row.id);
    expect(done?.status).toBe('completed');
    const { evaluated } = done?.report as EvaluationReport;
    const run = await env.db
      .selectFrom('scoring_runs')
      .select(['eligible_users', 'paired_users', 'coverage', 'mean_score'])
      .where('business_date', '=', BUSINESS_DATE)
      .executeTakeFirstOrThrow();
    expect(evaluated.eligibleUsers).toBe(run.eligible_users);
    expect(evaluated.pairedUsers).toBe(run.paired_users);
    expect(evaluated.coverage).toBeCloseTo(run.coverage!, 6);
    expect(evaluated.meanScore).toBeCloseTo(run.mean_score!, 6);
    expect(evaluated.identicalToActiveShare).toBe(1);
    // 30 days: more pairings than one day, spread unevenly
    expect(evaluated.exposure.gini).toBeGreaterThan(0);
    expect(evaluated.exposure.gini).toBeLessThan(1);
    // progress rose to 100 and the row followed it
    expect(progress.at(-1)).toBe(100);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(done?.progress).toBe(100);
  });
});
