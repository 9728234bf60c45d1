import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import {
  playAnalystTour,
  reportTable,
  type AnalystTourResult,
} from '../../../src/modules/evaluations/demo-evaluation.ts';
import type { EvaluationReport, SetReport } from '../../../src/modules/evaluations/evaluations.schemas.ts';
import { loadPopulation } from '../../../src/modules/pipeline/population-loader.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { population, waitForRun } from '../../integration/pipeline/harness.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { recordOutcomes } from './dashboard-outcomes.ts';

/**
 * The demo's analyst step on a generated city of 300 users after a real nightly run through the
 * queues and workers: the tour creates a child of the active set, has the real `evaluate` worker
 * evaluate it, prints the API's figures side by side, and leaves the active set active.
 */

const NOW = '2026-11-22T10:00:00Z';
const DATE = '2026-11-22';
const BASE_URL = 'http://demo.example:3000';

let t: TestApp;
let runtime: PipelineRuntime;

const analyst = () => bearer(userToken('ana-demo', 'analyst', { now: new Date(NOW) }));
async function api<T>(url: string): Promise<T> {
  const response = await t.app.inject({ method: 'GET', url, headers: analyst() });
  expect(response.statusCode, url).toBe(200);
  return response.json<T>();
}

async function play(): Promise<{ result: AnalystTourResult; lines: string[]; progress: number[] }> {
  const lines: string[] = [];
  const progress: number[] = [];
  const finished: number[] = [];
  const result = await playAnalystTour(t.app, t.deps.config, {
    baseUrl: BASE_URL,
    print: (line) => lines.push(line),
    onProgress: (p, done) => {
      expect(finished, 'no progress after the end').toEqual([]);
      if (done) finished.push(p);
      else progress.push(p);
    },
    now: new Date(NOW),
    pollMs: 100,
    timeoutMs: 120_000,
  });
  expect(finished).toHaveLength(1);
  return { result, lines, progress: [...progress, ...finished] };
}

/** The two value cells (active set, evaluated set) of the printed row with this label. */
function cells(lines: string[], label: string): [string, string] {
  const line = lines.find((l) => l.trimStart().startsWith(label));
  expect(line, label).toBeDefined();
  const values = line!
    .trim()
    .slice(label.length)
    .trim()
    .split(/\s{2,}/);
  expect(values, label).toHaveLength(2);
  return [values[0]!, values[1]!];
}
const numberIn = (cell: string): number => Number(/-?\d+(\.\d+)?/.exec(cell)?.[0]);

/** Each figure of the printed table equals the API's, to the printed precision. */
function expectTableMatches(lines: string[], report: EvaluationReport): void {
  const sets: [SetReport, SetReport] = [report.baseline!, report.evaluated];
  const figure = (label: string) => cells(lines, label).map(numberIn);
  const [eligible, coverage, mean, gini, identical] = [
    figure('eligible users'),
    figure('coverage'),
    figure('mean score'),
    figure('exposure Gini (30 days)'),
    figure('pairs identical to active'),
  ];
  sets.forEach((set, i) => {
    expect(eligible[i]).toBe(set.eligibleUsers);
    expect(coverage[i]).toBeCloseTo(100 * set.coverage, 1);
    expect(mean[i]).toBeCloseTo(set.meanScore!, 1);
    expect(gini[i]).toBeCloseTo(set.exposure.gini!, 3);
    expect(identical[i]).toBeCloseTo(100 * set.identicalToActiveShare!, 1);
  });
  // the histogram rows name the first and last buckets holding a count the API shows
  for (const [label, pick] of [
    ['lowest-score bucket', (found: number[]) => found[0]],
    ['highest-score bucket', (found: number[]) => found.at(-1)],
  ] as const) {
    cells(lines, label).forEach((cell, i) => {
      const { edges, counts } = sets[i]!.scoreHistogram;
      const shown = counts.flatMap((c, b) => (c !== null && c > 0 ? [b] : []));
      const b = pick(shown)!;
      expect(cell).toBe(`${edges[b]!.toFixed(1)}–${edges[b + 1]!.toFixed(1)}: ${String(counts[b])}`);
    });
  }
}

beforeAll(async () => {
  t = await createTestApp({
    clock: fixedClock(NOW),
    config: {
      QUEUE_PREFIX: `{kt-${randomUUID().slice(0, 8)}}`,
      SCORE_SHARDS: 2,
      SCORE_THREADS: 1,
      K_ANON: 5,
    },
  });
  await loadPopulation(t.deps.pool, population(300, 7));
  runtime = createPipelineRuntime({ ...t.deps });
  runtime.startWorkers({ reconcileIntervalMs: 60_000 });
  await runtime.runsService.startRun(DATE, 'test');
  expect(await waitForRun(t.db, DATE, 120_000)).toBe('published');
}, 180_000);

afterAll(async () => {
  await runtime?.close();
  await t?.close();
});

describe('playAnalystTour', () => {
  let first: Awaited<ReturnType<typeof play>>;

  it('evaluates a child of the active set and prints the report the API gives', async () => {
    first = await play();
    const { result, lines, progress } = first;
    expect(result.status).toBe('completed');
    expect(result.activeWeightSetId).toBe('1');
    expect(result.reusedWeightSet).toBe(false);
    const stored = await api<{ report: EvaluationReport; weightSetId: string; baselineWeightSetId: string }>(
      `/v1/analyst/evaluations/${result.evaluationId}`,
    );
    expect(stored.weightSetId).toBe(result.weightSetId);
    expect(stored.baselineWeightSetId).toBe('1');
    expect(result.report).toEqual(stored.report);
    const report = stored.report;
    expect(report.baseline?.weightSetId).toBe('1');
    // the generated city pairs people under both sets, and the wider stop share changes pairs
    expect(report.evaluated.pairedUsers).toBeGreaterThan(0);
    expect(report.baseline?.identicalToActiveShare).toBe(1);
    expect(report.evaluated.identicalToActiveShare).toBeLessThan(1);

    expect(cells(lines, 'weight set')).toEqual(['active #1', `new #${result.weightSetId}`]);
    expectTableMatches(lines, report);
    // nobody has decided on a match yet
    expect(report.evaluated.outcomes.shownMatches).toBe(0);
    expect(lines.find((l) => l.includes('outcomes AUC'))).toContain('no decided matches yet');

    expect(progress.at(-1)).toBe(100);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    const text = lines.join('\n');
    expect(text).toContain(`${BASE_URL}/v1/analyst/weight-sets/${result.weightSetId}/activate`);
    expect(text).toContain(`${BASE_URL}/analyst`);
  }, 120_000);

  it('changes only the stop share and leaves the active set active', async () => {
    const { result } = first;
    const detail = await api<{
      weightSet: { active: boolean; parentId: string };
      diff: Array<{ path: string; old: unknown; new: unknown }>;
    }>(`/v1/analyst/weight-sets/${result.weightSetId}`);
    expect(detail.weightSet.active).toBe(false);
    expect(detail.weightSet.parentId).toBe('1');
    expect(detail.diff).toEqual([{ path: 'maxMerchantShare', old: 0.05, new: 0.2 }]);
    const { weightSets } = await api<{ weightSets: Array<{ id: string; active: boolean }> }>(
      '/v1/analyst/weight-sets',
    );
    expect(weightSets.filter((s) => s.active).map((s) => s.id)).toEqual(['1']);
  });

  it('run again after decisions, reuses its set and prints the outcome AUC of both sets', async () => {
    await recordOutcomes(t.db, DATE);
    const { result, lines } = await play();
    expect(result.status).toBe('completed');
    expect(result.reusedWeightSet).toBe(true);
    expect(result.weightSetId).toBe(first.result.weightSetId);
    const report = result.report!;
    expectTableMatches(lines, report);
    const sets = [report.baseline!, report.evaluated];
    expect(report.evaluated.outcomes.shownMatches).toBeGreaterThan(0);
    cells(lines, 'outcomes AUC').forEach((cell, i) => {
      const { auc, shownMatches } = sets[i]!.outcomes;
      expect(auc).not.toBeNull();
      expect(numberIn(cell)).toBeCloseTo(auc!, 3);
      expect(cell).toContain(`(${String(shownMatches)} shown)`);
    });
    const { weightSets } = await api<{ weightSets: Array<{ id: string }> }>('/v1/analyst/weight-sets');
    expect(weightSets).toHaveLength(2);

    // an AUC the API withholds (too few users, or one class only) is shown as such, with its reason
    const withheld = reportTable({
      ...report,
      evaluated: { ...report.evaluated, outcomes: { ...report.evaluated.outcomes, auc: null } },
    });
    const [, evaluatedAuc] = cells(withheld, 'outcomes AUC');
    expect(evaluatedAuc).toBe(`n/a (${String(report.evaluated.outcomes.shownMatches)} shown)`);
    expect(withheld.join('\n')).toContain('AUC n/a: it needs mutual and other decided matches');
    expect(lines.join('\n')).not.toContain('AUC n/a');
  }, 120_000);
});
