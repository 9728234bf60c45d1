import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { loadPopulation } from '../../../src/modules/pipeline/population-loader.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { population, waitForRun } from '../../integration/pipeline/harness.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { recordOutcomes } from './dashboard-outcomes.ts';

/**
 * The dashboard driven in headless Chromium against a real app on a real port: a generated city of
 * 300 users, three nightly runs through the real queues and workers, decisions on their matches,
 * then everything an analyst does on the page, each chart checked against the API's own answer.
 */

const CHROMIUM = '/usr/bin/chromium';
const NOW = '2026-11-22T10:00:00Z';
const DATES = ['2026-11-20', '2026-11-21', '2026-11-22'];
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'artifacts', 'analyst-dashboard.png');

let t: TestApp;
let runtime: PipelineRuntime;
let browser: Browser;
let page: Page;
let origin: string;
const analystToken = userToken('ana-dash', 'analyst', { now: new Date(NOW) });
const pageErrors: string[] = [];
/** How long the page may take to settle after a click (CI runs test files in parallel on 2 cores). */
const SETTLE = { timeout: 15_000, interval: 100 };

/** The API's answer, as the test (not the page) reads it. */
async function api<T>(url: string): Promise<T> {
  const response = await t.app.inject({ method: 'GET', url, headers: bearer(analystToken) });
  expect(response.statusCode, url).toBe(200);
  return response.json<T>();
}

type ChartState = { points: number; series: number; values: (number | null)[][] };

/** Waits until the chart is drawn and returns what it says it drew. */
async function chart(name: string): Promise<ChartState> {
  const locator = page.locator(`[data-chart="${name}"][data-drawn="true"]`);
  await locator.waitFor({ state: 'attached', timeout: 30_000 });
  const [points, series, values] = await Promise.all(
    ['data-points', 'data-series', 'data-values'].map((a) => locator.getAttribute(a)),
  );
  if (Number(points) > 0) expect(await locator.locator('canvas').count(), name).toBeGreaterThan(0);
  return {
    points: Number(points),
    series: Number(series),
    values: JSON.parse(values ?? '[]') as ChartState['values'],
  };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}; the dashboard test needs it. Install it with: ` +
        'apt-get update && apt-get install -y --no-install-recommends chromium',
    );
  }
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
  runtime = createPipelineRuntime({ config: t.deps.config, log: t.deps.log, db: t.db, pool: t.deps.pool });
  runtime.startWorkers();
  for (const date of DATES) {
    await runtime.runsService.startRun(date, 'test');
    expect(await waitForRun(t.db, date, 120_000)).toBe('published');
    await recordOutcomes(t.db, date);
  }
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the app listens on no TCP port');
  origin = `http://127.0.0.1:${String(address.port)}`;

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // The refused tokens and the invalid form are answered 401, 403 and 400 on purpose; the
    // browser logs each failed fetch. Anything else logged as an error (a CSP refusal, a
    // failed module) counts.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      pageErrors.push(message.text());
    }
  });
  page.on('response', (response) => {
    if (response.status() === 404) pageErrors.push(`404 ${response.url()}`);
  });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
  if (t !== undefined) {
    await Promise.allSettled(Object.values(t.deps.queues.queues).map((q) => q.obliterate({ force: true })));
    await t.close();
  }
});

describe('the analyst dashboard in headless Chromium', () => {
  it('refuses a user token with a clear message, then signs an analyst in', async () => {
    await page.goto(`${origin}/analyst`);
    await page.locator('#sign-in').waitFor();
    await page.fill('#token', userToken('someone', 'user', { now: new Date(NOW) }));
    await page.click('#sign-in button[type=submit]');
    const alert = page.locator('#auth-error');
    await expect.poll(() => alert.getAttribute('data-status'), SETTLE).toBe('403');
    expect(await alert.textContent()).toContain('needs the role analyst or admin');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    await page.fill('#token', 'not-a-token');
    await page.click('#sign-in button[type=submit]');
    await expect.poll(() => alert.getAttribute('data-status'), SETTLE).toBe('401');

    await page.fill('#token', analystToken);
    await page.click('#sign-in button[type=submit]');
    await page.locator('body[data-loaded="true"]').waitFor();
    expect(await page.locator('#dashboard').isVisible()).toBe(true);
    expect(await page.locator('#session-who').textContent()).toBe('ana-dash (analyst)');
    // The token lives in the tab's session storage, not in a cookie.
    // (The function runs in the page; the test's tsconfig has no DOM types, hence the string.)
    expect(await page.evaluate("sessionStorage.getItem('kindred.analyst.token')")).toBe(analystToken);
  });

  it('draws coverage, mean score and stage seconds of every run from /v1/analyst/runs', async () => {
    type Run = {
      date: string;
      coverage: number | null;
      meanScore: number | null;
      stages: Record<string, { seconds?: number }>;
    };
    const { runs } = await api<{ runs: Run[] }>('/v1/analyst/runs?limit=90');
    expect(runs.map((r) => r.date)).toEqual([...DATES].reverse());
    const oldestFirst = [...runs].reverse();

    const coverage = await chart('runs-coverage');
    expect(coverage.points).toBe(3);
    expect(coverage.values).toEqual([oldestFirst.map((r) => r.coverage)]);
    expect(coverage.values[0]!.every((c) => c !== null && c > 0 && c <= 1)).toBe(true);

    const meanScore = await chart('runs-mean-score');
    expect(meanScore.values).toEqual([oldestFirst.map((r) => r.meanScore)]);

    const durations = await chart('runs-durations');
    expect(durations).toMatchObject({ points: 3, series: 4 });
    expect(durations.values).toEqual(
      ['prepare', 'score', 'pair', 'publish'].map((stage) =>
        oldestFirst.map((r) => r.stages[stage]?.seconds ?? null),
      ),
    );
    expect(durations.values.flat().every((s) => s !== null && s >= 0)).toBe(true);
  });

  it('draws like and mutual rates per day and by score decile from /v1/analyst/metrics/daily', async () => {
    type Bucket = { fromPercentile: number; toPercentile: number; likeRate: number; mutualRate: number };
    type Day = { date: string; likeRate: number | null; mutualRate: number | null; byScoreDecile: Bucket[] };
    const { days } = await api<{ days: Day[] }>(
      `/v1/analyst/metrics/daily?from=${DATES[0]!}&to=${DATES[2]!}`,
    );
    expect(days.map((d) => d.date)).toEqual(DATES);

    const daily = await chart('metrics-daily');
    expect(daily).toMatchObject({ points: 3, series: 2 });
    expect(daily.values).toEqual([days.map((d) => d.likeRate), days.map((d) => d.mutualRate)]);
    expect(daily.values[1]!.some((rate) => rate !== null && rate > 0)).toBe(true);

    const latest = days.at(-1)!;
    expect(latest.byScoreDecile.length).toBeGreaterThan(1);
    expect(await page.locator('#metrics-day').inputValue()).toBe(latest.date);
    const deciles = await chart('metrics-deciles');
    expect(deciles).toMatchObject({ points: latest.byScoreDecile.length, series: 2 });
    expect(deciles.values).toEqual([
      latest.byScoreDecile.map((b) => b.likeRate),
      latest.byScoreDecile.map((b) => b.mutualRate),
    ]);

    // Another day redraws from that day's buckets.
    const first = days[0]!;
    await page.selectOption('#metrics-day', first.date);
    await expect
      .poll(async () => (await chart('metrics-deciles')).values, SETTLE)
      .toEqual([first.byScoreDecile.map((b) => b.likeRate), first.byScoreDecile.map((b) => b.mutualRate)]);
  });

  let createdId = '';

  it('creates a weight set in the form, showing a 400 with the field and its reason first', async () => {
    await page.fill('#create-name', 'more co-presence');
    await page.fill(
      '#create-params',
      '{ "blend": { "overlap": 0.5, "coPresence": 0.1, "spendLevel": 0.1 } }',
    );
    await page.click('#create-weight-set button[type=submit]');
    const blendError = page.locator('#create-errors li[data-path^="body.params.blend"]');
    await blendError.waitFor();
    expect(await page.locator('#create-errors').textContent()).toContain('400 invalid_request');

    await page.fill(
      '#create-params',
      '{ "blend": { "overlap": 0.6, "coPresence": 0.3, "spendLevel": 0.1 } }',
    );
    await page.fill('#create-note', 'co-presence weighs more');
    await page.click('#create-weight-set button[type=submit]');
    await expect
      .poll(() => page.locator('#weight-set-message').textContent(), SETTLE)
      .toMatch(/^Created version 2/);
    expect(await page.locator('#create-errors li').count()).toBe(0);

    type Set = { id: string; version: number; active: boolean };
    const { weightSets } = await api<{ weightSets: Set[] }>('/v1/analyst/weight-sets');
    const created = weightSets.find((s) => s.version === 2)!;
    createdId = created.id;
    expect(created.active).toBe(false);
    const rows = page.locator('#weight-set-rows tr');
    expect(await rows.count()).toBe(weightSets.length);
    // Its diff to the parent (the active set) is shown, as the API computes it.
    const { diff } = await api<{ diff: { path: string }[] }>(`/v1/analyst/weight-sets/${createdId}`);
    const diffRows = page.locator(`table[data-diff-of="${createdId}"] tbody tr`);
    await expect.poll(() => diffRows.count(), SETTLE).toBe(diff.length);
    expect(await diffRows.locator('td:first-child').allTextContents()).toEqual(diff.map((d) => d.path));
    expect(diff.map((d) => d.path)).toEqual(['blend.coPresence', 'blend.overlap']);
  });

  it(
    'evaluates the new set against the active one and plots both histograms and Lorenz curves',
    {
      timeout: 180_000,
    },
    async () => {
      const active = await page
        .locator('#weight-set-rows tr[data-active="true"]')
        .getAttribute('data-weight-set-id');
      await page.selectOption('#evaluate-set', createdId);
      await page.click('#evaluate');
      await expect
        .poll(() => page.locator('#evaluation-status').textContent(), { timeout: 120_000, interval: 500 })
        .toMatch(/^completed/);
      const evaluationId = await page.locator('#evaluation').getAttribute('data-evaluation-id');

      type SetReport = {
        weightSetId: string;
        scoreHistogram: { edges: number[]; counts: (number | null)[] };
        exposure: { lorenz: { population: number[]; exposure: number[] } };
        outcomes: { deciles: { decile: number; mutualRate: number | null }[] };
      };
      const evaluation = await api<{
        weightSetId: string;
        baselineWeightSetId: string | null;
        progress: number;
        report: { evaluated: SetReport; baseline: SetReport | null };
      }>(`/v1/analyst/evaluations/${evaluationId ?? ''}`);
      expect(evaluation).toMatchObject({
        weightSetId: createdId,
        baselineWeightSetId: active,
        progress: 100,
      });
      expect(await page.locator('#evaluation-progress').getAttribute('value')).toBe('100');
      const { evaluated, baseline } = evaluation.report;
      if (baseline === null) throw new Error('the evaluation has no baseline');

      const histogram = await chart('evaluation-histogram');
      expect(histogram).toMatchObject({ points: 10, series: 2 });
      expect(histogram.values).toEqual([evaluated.scoreHistogram.counts, baseline.scoreHistogram.counts]);
      expect(histogram.values.flat().some((c) => c !== null && c > 0)).toBe(true);

      const lorenz = await chart('evaluation-lorenz');
      expect(lorenz.series).toBe(3);
      const drawnCurve = (i: number) => lorenz.values[i]!.filter((v): v is number => v !== null);
      expect(drawnCurve(0)).toEqual(evaluated.exposure.lorenz.exposure);
      expect(drawnCurve(1)).toEqual(baseline.exposure.lorenz.exposure);
      expect(lorenz.points).toBe(
        new Set([...evaluated.exposure.lorenz.population, ...baseline.exposure.lorenz.population]).size,
      );

      const outcomes = await chart('evaluation-outcomes');
      expect(outcomes.values[0]).toEqual(evaluated.outcomes.deciles.map((d) => d.mutualRate));
      expect(await page.locator('#evaluation-summary tbody tr').count()).toBeGreaterThan(5);
      // It is listed among the earlier evaluations, to reopen.
      await expect
        .poll(() => page.locator(`#evaluation-history option[value="${evaluationId ?? ''}"]`).count(), SETTLE)
        .toBe(1);
    },
  );

  it('activates the new set and moves the active marker to it', async () => {
    const oldActive = await page
      .locator('#weight-set-rows tr[data-active="true"]')
      .getAttribute('data-weight-set-id');
    expect(oldActive).not.toBe(createdId);
    await page.click(`#weight-set-rows tr[data-weight-set-id="${createdId}"] button[data-action="activate"]`);
    const newRow = page.locator(`#weight-set-rows tr[data-weight-set-id="${createdId}"][data-active="true"]`);
    await newRow.waitFor();
    expect(await newRow.locator('.active-marker').textContent()).toBe('active');
    expect(await newRow.locator('button[data-action="activate"]').isDisabled()).toBe(true);
    expect(await page.locator('#weight-set-rows tr[data-active="true"]').count()).toBe(1);
    expect(await page.locator('#weight-set-rows .active-marker').count()).toBe(1);
    expect(
      await page
        .locator(`#weight-set-rows tr[data-weight-set-id="${oldActive ?? ''}"]`)
        .getAttribute('data-active'),
    ).toBe('false');
    const { weightSets } = await api<{ weightSets: { id: string; active: boolean }[] }>(
      '/v1/analyst/weight-sets',
    );
    expect(weightSets.filter((s) => s.active).map((s) => s.id)).toEqual([createdId]);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('ran without a script error or a CSP violation', () => {
    expect(pageErrors).toEqual([]);
  });
});
