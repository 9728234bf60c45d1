import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
  await t.db
    .insertInto('scoring_runs')
    .values({
      business_date: '2026-11-20',
      status: 'published',
      weight_set_id: '1',
      weight_params: '{}',
      triggered_by: 'test',
      eligible_users: 1234,
      paired_users: 1000,
      coverage: 0.81,
      mean_score: 57.5,
      stages: JSON.stringify({
        prepare: { seconds: 1.5 },
        score: { shards: { '0': { seconds: 2 }, '1': { seconds: 3.25 } } },
        pair: { seconds: 0.5 },
        publish: { seconds: 0.75 },
      }),
    })
    .execute();
});
afterAll(async () => {
  await t.close();
});

describe('GET /metrics', () => {
  it('HTTP latency by route template, queue depths, the latest run; no id in any label', async () => {
    const token = userToken('metrics-analyst-7', 'analyst');
    await t.app.inject({ method: 'GET', url: '/v1/analyst/weight-sets/1', headers: bearer(token) });
    await t.app.inject({ method: 'GET', url: '/v1/analyst/weight-sets/424242', headers: bearer(token) });
    await t.app.inject({ method: 'GET', url: '/no/such/path/secret-user-id-99' });

    const response = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    const text = response.body;
    expect(text).toMatch(
      /kindred_http_request_duration_seconds_count\{method="GET",route="\/v1\/analyst\/weight-sets\/:id",status_code="200"\} 1/,
    );
    expect(text).toMatch(/route="\/v1\/analyst\/weight-sets\/:id",status_code="404"\} 1/);
    expect(text).toMatch(/route="unmatched",status_code="404"/);
    expect(text).toMatch(/kindred_queue_jobs\{queue="prepare",state="waiting"\} \d+/);
    expect(text).toContain('kindred_run_coverage 0.81');
    expect(text).toContain('kindred_run_eligible_users 1234');
    expect(text).toContain('kindred_run_stage_seconds{stage="score"} 3.25');
    expect(text).toContain('kindred_run_stage_seconds{stage="prepare"} 1.5');
    for (const leak of ['424242', 'secret-user-id-99', 'metrics-analyst-7']) expect(text).not.toContain(leak);
  });
});
