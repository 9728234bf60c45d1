import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder, type Seeder } from '../match/fixtures.ts';

/**
 * Evaluations end to end: the API queues a job on the `evaluate` queue, a real BullMQ worker
 * (started here) scores a hand-built population, and the report's figures are checked against
 * values worked out by hand below.
 *
 * The evaluated set uses binary visits, idf exponent 0, no stop-merchants, cosine and the overlap
 * alone, so a pair's score is |shared| / √(|A|·|B|) over their merchant sets. Ten couples each
 * share merchants that nobody else visits (so each user's only candidate is the partner):
 *   couples 0–5: both {S1, S2}                → 1
 *   couples 6–7: {S, A1} and {S, B1}          → 1/2
 *   couple 8:    {S, A1, A2} and {S, B1}      → 1/√6 ≈ 0.408 (shown as 41)
 *   couple 9:    {S1, S2, A1} and {S1, S2, B1} → 2/3 (shown as 67)
 * Four loners visit a merchant of their own; one more user withdrew the matching consent.
 */

const NOW = '2026-11-22T10:00:00Z'; // business date 2026-11-22 in Asia/Shanghai; window from 10-23
const BOUGHT_AT = '2026-11-10T04:00:00Z';
const K = 4;
const COUPLES: ReadonlyArray<readonly [number, number, number]> = [
  [2, 0, 0],
  [2, 0, 0],
  [2, 0, 0],
  [2, 0, 0],
  [2, 0, 0],
  [2, 0, 0],
  [1, 1, 1],
  [1, 1, 1],
  [1, 2, 1],
  [2, 1, 1],
];
const EVALUATED_PARAMS = {
  visitTransform: 'binary',
  idfExponent: 0,
  maxMerchantShare: 1,
  minSharedMerchants: 1,
  normalization: 'cosine',
  blend: { overlap: 1, coPresence: 0, spendLevel: 0 },
  repeatCooldownDays: 0,
};

let t: TestApp;
let runtime: PipelineRuntime;
let seed: Seeder;
const prefix = `{kt-eval-${randomUUID().slice(0, 8)}}`;
const couples: Array<[string, string]> = [];

const auth = (role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  bearer(userToken('ana-eval', role, { now: new Date(NOW) }));
const post = (payload: unknown, role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  t.app.inject({
    method: 'POST',
    url: '/v1/analyst/evaluations',
    headers: { ...auth(role), 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
const get = (url: string, role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  t.app.inject({ method: 'GET', url, headers: auth(role) });

type SetReport = {
  weightSetId: string;
  eligibleUsers: number;
  pairedUsers: number;
  coverage: number;
  meanScore: number | null;
  scoreHistogram: { edges: number[]; counts: Array<number | null> };
  exposure: { days: number; gini: number | null; lorenz: { population: number[]; exposure: number[] } };
  identicalToActiveShare: number | null;
  outcomes: {
    shownMatches: number;
    auc: number | null;
    deciles: Array<{ decile: number; matches: number; likeRate: number | null; mutualRate: number | null }>;
  };
};
type Evaluation = {
  id: string;
  weightSetId: string;
  baselineWeightSetId: string | null;
  status: 'queued' | 'running' | 'completed' | 'failed';
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  report: { evaluated: SetReport; baseline: SetReport | null } | null;
};

/** Polls until the evaluation ends; checks that progress never goes back. */
async function waitFor(id: string, timeoutMs = 60_000): Promise<Evaluation> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    const response = await get(`/v1/analyst/evaluations/${id}`);
    expect(response.statusCode).toBe(200);
    const e = response.json<Evaluation>();
    expect(e.progress).toBeGreaterThanOrEqual(last);
    last = e.progress;
    if (e.status === 'completed' || e.status === 'failed') return e;
    if (Date.now() > deadline) throw new Error(`evaluation still ${e.status} at ${String(e.progress)} %`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function createWeightSet(params: unknown): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/v1/analyst/weight-sets',
    headers: { ...auth(), 'content-type': 'application/json' },
    payload: JSON.stringify({ name: `eval ${randomUUID().slice(0, 6)}`, params }),
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ weightSet: { id: string } }>().weightSet.id;
}

async function decide(matchId: string, userId: string, decision: 'like' | 'pass'): Promise<void> {
  await t.db.insertInto('decisions').values({ match_id: matchId, user_id: userId, decision }).execute();
}

/** Starts at NOW and moves a second per reading, so that evaluations have distinct creation times. */
const tickingClock = (): Clock => {
  let ticks = 0;
  return { now: () => new Date(Date.parse(NOW) + 1_000 * ticks++) };
};

beforeAll(async () => {
  t = await createTestApp({ clock: tickingClock(), config: { K_ANON: K, QUEUE_PREFIX: prefix } });
  seed = seeder(t.db);
  let m = 0;
  const merchant = () => seed.merchant(`eval-m${String(m++)}`, `Shop ${String(m)}`);
  for (const [c, [shared, onlyA, onlyB]] of COUPLES.entries()) {
    const a = await seed.user(person(`eval-a${String(c)}`));
    const b = await seed.user(person(`eval-b${String(c)}`));
    for (let s = 0; s < shared; s++) {
      const id = await merchant();
      await seed.purchase(a, id, BOUGHT_AT);
      await seed.purchase(b, id, BOUGHT_AT);
    }
    for (let i = 0; i < onlyA; i++) await seed.purchase(a, await merchant(), BOUGHT_AT);
    for (let i = 0; i < onlyB; i++) await seed.purchase(b, await merchant(), BOUGHT_AT);
    couples.push([a, b]);
  }
  for (let l = 0; l < 4; l++) {
    const loner = await seed.user(person(`eval-loner${String(l)}`));
    await seed.purchase(loner, await merchant(), BOUGHT_AT);
  }
  const withdrawn = await seed.user(person('eval-withdrawn'));
  await seed.purchase(withdrawn, await merchant(), BOUGHT_AT);
  await t.db
    .insertInto('consent_events')
    .values({ user_id: withdrawn, purpose: 'matching', action: 'withdraw', policy_version: 'v1' })
    .execute();

  // History: each couple met on 11-01 and both liked; A of couple i met B of couple i+1 on 11-02,
  // A liked and B passed. A match of the withdrawn user (not eligible now) and one without any
  // decision are not outcomes.
  const run1 = await seed.run('2026-11-01');
  const run2 = await seed.run('2026-11-02');
  for (const [a, b] of couples) {
    const id = await seed.pair(run1, '2026-11-01', a, b);
    await decide(id, a, 'like');
    await decide(id, b, 'like');
  }
  for (let c = 0; c < couples.length; c++) {
    const a = couples[c]![0];
    const b = couples[(c + 1) % couples.length]![1];
    const id = await seed.pair(run2, '2026-11-02', a, b);
    await decide(id, a, 'like');
    await decide(id, b, 'pass');
  }
  const run3 = await seed.run('2026-11-03');
  const withWithdrawn = await seed.pair(run3, '2026-11-03', withdrawn, couples[0]![0]);
  await decide(withWithdrawn, withdrawn, 'like');
  await decide(withWithdrawn, couples[0]![0], 'like');
  await seed.pair(run3, '2026-11-03', couples[1]![0], couples[2]![1]);
  // A mutual like older than EVALUATION_OUTCOME_DAYS (90) before the evaluation's date: not read.
  const old = await seed.run('2026-08-23');
  const oldMatch = await seed.pair(old, '2026-08-23', couples[0]![0], couples[3]![1]);
  await decide(oldMatch, couples[0]![0], 'like');
  await decide(oldMatch, couples[3]![1], 'like');

  runtime = createPipelineRuntime({ ...t.deps, clock: t.deps.clock });
  runtime.startWorkers({ queues: ['evaluate'], reconcileIntervalMs: 60_000 });
});

afterAll(async () => {
  await runtime.close();
  await t.close();
});

describe('POST /v1/analyst/evaluations', () => {
  it('refuses users, bad bodies and unknown weight sets', async () => {
    expect((await post({ weightSetId: '1' }, 'user')).statusCode).toBe(403);

    for (const [body, path] of [
      [{}, 'body.weightSetId'],
      [{ weightSetId: 'abc' }, 'body.weightSetId'],
      [{ weightSetId: '1', baselineWeightSetId: -3 }, 'body.baselineWeightSetId'],
      [{ weightSetId: '1', extra: true }, 'body'],
    ] as const) {
      const response = await post(body);
      expect(response.statusCode).toBe(400);
      const { error } = response.json<{ error: { code: string; details: Array<{ path: string }> } }>();
      expect(error.details.map((d) => d.path)).toContain(path);
    }

    const unknown = await post({ weightSetId: '999999' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'weight_set_not_found' } });
    const unknownBaseline = await post({ weightSetId: '1', baselineWeightSetId: '999999' });
    expect(unknownBaseline.statusCode).toBe(404);
  });
});

describe('an evaluation against the active set', () => {
  let evaluatedId: string;
  let evaluation: Evaluation;

  beforeAll(async () => {
    evaluatedId = await createWeightSet(EVALUATED_PARAMS);
    const response = await post({ weightSetId: evaluatedId, baselineWeightSetId: '1' });
    expect(response.statusCode).toBe(202);
    const { evaluationId } = response.json<{ evaluationId: string }>();
    evaluation = await waitFor(evaluationId);
  });

  it('completes with progress 100', () => {
    expect(evaluation).toMatchObject({
      status: 'completed',
      progress: 100,
      weightSetId: evaluatedId,
      baselineWeightSetId: '1',
      error: null,
    });
    expect(evaluation.startedAt).not.toBeNull();
    expect(evaluation.finishedAt).not.toBeNull();
  });

  it('pairs the couples: coverage, mean score and the histogram with small buckets withheld', () => {
    const r = evaluation.report!.evaluated;
    expect(r.weightSetId).toBe(evaluatedId);
    expect(r.eligibleUsers).toBe(24); // 20 in couples and 4 loners; the withdrawn user is not eligible
    expect(r.pairedUsers).toBe(20);
    expect(r.coverage).toBeCloseTo(20 / 24, 12);
    expect(r.meanScore).toBeCloseTo((6 * 100 + 2 * 50 + 41 + 67) / 10, 12);
    expect(r.scoreHistogram.edges).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    // 6 pairs at 1 and 2 at 0.5 are at least K = 4 users; the lone pairs at 0.41 and 0.67 are not
    expect(r.scoreHistogram.counts).toEqual([0, 0, 0, 0, null, 2, null, 0, 0, 6]);
  });

  it('simulates 30 days of exposure: each couple once (then in cooldown), the loners never', () => {
    const { exposure } = evaluation.report!.evaluated;
    expect(exposure.days).toBe(30);
    // 24 users, 20 paired once: Gini = 4/24
    expect(exposure.gini).toBeCloseTo(1 / 6, 12);
    expect(exposure.lorenz.population).toHaveLength(21);
    expect(exposure.lorenz.population[10]).toBeCloseTo(0.5, 12);
    // the least exposed half (12 users: 4 loners and 8 paired) holds 8 of 20 pairings
    expect(exposure.lorenz.exposure[10]).toBeCloseTo(8 / 20, 12);
    expect(exposure.lorenz.exposure[3]).toBe(0); // 15 % = 3.6 users, all loners
    expect(exposure.lorenz.exposure[20]).toBe(1);
  });

  it('scores past decided matches: AUC 1 when the score separates mutual likes, rates by decile', () => {
    const { outcomes } = evaluation.report!.evaluated;
    // 10 couple matches (mutual) and 10 cross matches (one like, one pass); the withdrawn user's
    // match, the undecided one and the one of 08-23 (91 days back, outside the window) are not
    // counted
    expect(outcomes.shownMatches).toBe(20);
    expect(outcomes.auc).toBe(1);
    // cross pairs share nothing (score 0, decile 1); the couples rank 0.41 < 0.5 = 0.5 < 0.67 < 1
    expect(outcomes.deciles.map((d) => d.matches)).toEqual([10, 0, 0, 0, 0, 3, 1, 6, 0, 0]);
    expect(outcomes.deciles[0]).toMatchObject({ decile: 1, likeRate: 0.5, mutualRate: 0 });
    expect(outcomes.deciles[5]).toMatchObject({ decile: 6, likeRate: 1, mutualRate: 1 });
    // one match is 2 users, fewer than K: withheld
    expect(outcomes.deciles[6]).toMatchObject({ decile: 7, matches: 1, likeRate: null, mutualRate: null });
    expect(outcomes.deciles[7]).toMatchObject({ decile: 8, likeRate: 1, mutualRate: 1 });
    expect(outcomes.deciles[1]).toMatchObject({ matches: 0, likeRate: null, mutualRate: null });
  });

  it('reports the baseline beside it: the seed set finds no pair here', () => {
    const { evaluated, baseline } = evaluation.report!;
    expect(baseline).not.toBeNull();
    const b = baseline!;
    // Every shared merchant is visited by 2 of 24 users, above the seed's 5 % stop share.
    expect(b).toMatchObject({
      weightSetId: '1',
      eligibleUsers: 24,
      pairedUsers: 0,
      coverage: 0,
      meanScore: null,
      identicalToActiveShare: null,
      exposure: { days: 30, gini: null, lorenz: { population: [], exposure: [] } },
    });
    expect(b.scoreHistogram.counts).toEqual(Array<number>(10).fill(0));
    // every outcome scores 0: AUC ½, all in decile 1 (30 likes of 40 decisions, 10 mutual of 20)
    expect(b.outcomes.auc).toBe(0.5);
    expect(b.outcomes.deciles[0]).toMatchObject({ matches: 20, likeRate: 0.75, mutualRate: 0.5 });
    // none of the evaluated set's pairs is one of the active set's
    expect(evaluated.identicalToActiveShare).toBe(0);
  });

  it('keeps only the evaluation id in the job, in Redis', async () => {
    const raw = await t.deps.redis.hget(`${prefix}:evaluate:${evaluation.id}`, 'data');
    expect(JSON.parse(raw!)).toEqual({ evaluationId: evaluation.id });
    const job = await t.deps.queues.queues.evaluate.getJob(evaluation.id);
    expect(job?.data).toEqual({ evaluationId: evaluation.id });
    expect(job?.progress).toBe(100);
  });

  it('holds aggregates only: no string but the weight-set ids, no per-user array', () => {
    const strings: string[] = [];
    const arrays: number[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (Array.isArray(v)) {
        arrays.push(v.length);
        v.forEach(walk);
      } else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(evaluation.report);
    expect(new Set(strings)).toEqual(new Set([evaluatedId, '1']));
    // edges (11), counts and deciles (10), Lorenz (≤ 21): never one entry per user
    expect(Math.max(...arrays)).toBeLessThanOrEqual(21);
  });

  it('gives 1 as the identical share once the evaluated set is the active one', async () => {
    const activated = await t.app.inject({
      method: 'POST',
      url: `/v1/analyst/weight-sets/${evaluatedId}/activate`,
      headers: auth(),
    });
    expect(activated.statusCode).toBe(200);
    const response = await post({ weightSetId: evaluatedId });
    expect(response.statusCode).toBe(202);
    const again = await waitFor(response.json<{ evaluationId: string }>().evaluationId);
    expect(again.status).toBe('completed');
    expect(again.report?.baseline).toBeNull();
    expect(again.report?.evaluated.identicalToActiveShare).toBe(1);
    expect(again.report?.evaluated.pairedUsers).toBe(20);
  });

  it('lists evaluations newest first, without reports', async () => {
    const response = await get('/v1/analyst/evaluations');
    expect(response.statusCode).toBe(200);
    const { evaluations } = response.json<{ evaluations: Array<Evaluation & { report?: unknown }> }>();
    expect(evaluations.length).toBeGreaterThanOrEqual(2);
    expect(evaluations.at(-1)?.id).toBe(evaluation.id);
    expect(evaluations.every((e) => !('report' in e))).toBe(true);
    expect((await get('/v1/analyst/evaluations', 'user')).statusCode).toBe(403);
  });
});

describe('GET /v1/analyst/evaluations/{id}', () => {
  it('400 for a malformed id, 404 for an unknown one, 403 for a user', async () => {
    expect((await get('/v1/analyst/evaluations/not-a-uuid')).statusCode).toBe(400);
    const unknown = await get(`/v1/analyst/evaluations/${randomUUID()}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'evaluation_not_found' } });
    expect((await get(`/v1/analyst/evaluations/${randomUUID()}`, 'user')).statusCode).toBe(403);
  });

  it('a set that cannot be scored ends failed with a message, not queued forever', async () => {
    // Written around the API, which would refuse it: topK above candidatePoolSize.
    const bad = await t.db
      .insertInto('weight_sets')
      .values({
        name: 'broken',
        version: 999,
        parent_id: null,
        params: JSON.stringify({ topK: 5000 }),
        note: null,
        created_by: 'test',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const response = await post({ weightSetId: bad.id });
    expect(response.statusCode).toBe(202);
    const failed = await waitFor(response.json<{ evaluationId: string }>().evaluationId);
    expect(failed.status).toBe('failed');
    expect(failed.report).toBeNull();
    expect(failed.error).toMatch(/^evaluate: weight set \d+ has invalid parameters$/);
  });
});
