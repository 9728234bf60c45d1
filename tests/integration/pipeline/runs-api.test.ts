import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { jobId } from '../../../src/queue/names.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

let t: TestApp;
const analyst = bearer(userToken('analyst-1', 'analyst'));

beforeAll(async () => {
  t = await createTestApp({
    clock: fixedClock('2026-11-21T20:00:00Z'),
    config: { QUEUE_PREFIX: `{kt-${randomUUID().slice(0, 8)}}` },
  });
});

afterAll(async () => {
  await Promise.allSettled(Object.values(t.deps.queues.queues).map((q) => q.obliterate({ force: true })));
  await t.close();
});

describe('/v1/analyst/runs', () => {
  it('starts the run of today in MATCH_TIMEZONE with 202 and enqueues its prepare job', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/analyst/runs',
      headers: analyst,
      payload: {},
    });
    expect(res.statusCode).toBe(202);
    const run = res.json<{ id: string; date: string; status: string; triggeredBy: string }>();
    expect(run).toMatchObject({ date: '2026-11-22', status: 'pending', triggeredBy: 'api:analyst' });
    const job = await t.deps.queues.queues.prepare.getJob(jobId.prepare('2026-11-22', 1));
    expect(job?.data).toEqual({ runId: run.id, date: '2026-11-22', attempt: 1 });
  });

  it('answers 409 run_active while the date has an active run', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/analyst/runs',
      headers: analyst,
      payload: { date: '2026-11-22' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('run_active');
  });

  it('answers 200 with the run for a published date, and restarts a failed one', async () => {
    await sql`UPDATE scoring_runs SET status = 'published' WHERE business_date = '2026-11-22'`.execute(t.db);
    const published = await t.app.inject({
      method: 'POST',
      url: '/v1/analyst/runs',
      headers: analyst,
      payload: { date: '2026-11-22' },
    });
    expect(published.statusCode).toBe(200);
    expect(published.json<{ status: string }>().status).toBe('published');

    await sql`UPDATE scoring_runs SET status = 'failed', error = 'score: boom' WHERE business_date = '2026-11-22'`.execute(
      t.db,
    );
    const restarted = await t.app.inject({
      method: 'POST',
      url: '/v1/analyst/runs',
      headers: bearer(userToken('admin-1', 'admin')),
      payload: { date: '2026-11-22' },
    });
    expect(restarted.statusCode).toBe(202);
    expect(restarted.json()).toMatchObject({ status: 'pending', attempt: 2, error: null });
    expect(await t.deps.queues.queues.prepare.getJob(jobId.prepare('2026-11-22', 2))).toBeDefined();
  });

  it('lists and shows runs as aggregates only', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/v1/analyst/runs?limit=5', headers: analyst });
    expect(list.statusCode).toBe(200);
    const runs = list.json<{ runs: Array<Record<string, unknown>> }>().runs;
    expect(runs).toHaveLength(1);
    expect(Object.keys(runs[0]!).sort()).toEqual(
      [
        'attempt',
        'coverage',
        'createdAt',
        'date',
        'eligibleUsers',
        'error',
        'finishedAt',
        'id',
        'meanScore',
        'pairedUsers',
        'publishedAt',
        'stages',
        'startedAt',
        'status',
        'triggeredBy',
        'weightSetId',
      ].sort(),
    );
    const one = await t.app.inject({
      method: 'GET',
      url: `/v1/analyst/runs/${String(runs[0]!['id'])}`,
      headers: analyst,
    });
    expect(one.statusCode).toBe(200);
    const missing = await t.app.inject({ method: 'GET', url: '/v1/analyst/runs/999999', headers: analyst });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses users and bad input', async () => {
    const asUser = await t.app.inject({
      method: 'GET',
      url: '/v1/analyst/runs',
      headers: bearer(userToken('u1', 'user')),
    });
    expect(asUser.statusCode).toBe(403);
    const badDate = await t.app.inject({
      method: 'POST',
      url: '/v1/analyst/runs',
      headers: analyst,
      payload: { date: '2026-02-30' },
    });
    expect(badDate.statusCode).toBe(400);
  });
});
