import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { bearer, createApiKey, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { seedUser } from '../ingest/setup.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(NOW) });
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
      started_at: new Date('2026-11-20T19:00:00Z'),
      finished_at: new Date('2026-11-20T19:01:30.5Z'),
    })
    .execute();
  await t.db
    .insertInto('scoring_runs')
    .values({
      business_date: '2026-11-21',
      status: 'failed',
      weight_set_id: '1',
      weight_params: '{}',
      triggered_by: 'test',
      error: 'test failure',
    })
    .execute();
});
afterAll(async () => {
  await t.close();
});

const metricsText = async (): Promise<string> => {
  const response = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toContain('text/plain');
  return response.body;
};

/** The value of one series (`name{labels}`) in an exposition text; undefined when absent. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('GET /metrics', () => {
  it('HTTP latency by route template, queue depths, runs and the latest run; no id in any label', async () => {
    const token = userToken('metrics-analyst-7', 'analyst');
    await t.app.inject({ method: 'GET', url: '/v1/analyst/weight-sets/1', headers: bearer(token) });
    await t.app.inject({ method: 'GET', url: '/v1/analyst/weight-sets/424242', headers: bearer(token) });
    await t.app.inject({ method: 'GET', url: '/no/such/path/secret-user-id-99' });

    const text = await metricsText();
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
    expect(sample(text, 'kindred_run_duration_seconds')).toBe(90.5);
    expect(sample(text, 'kindred_runs{status="published"}')).toBe(1);
    expect(sample(text, 'kindred_runs{status="failed"}')).toBe(1);
    expect(sample(text, 'kindred_runs{status="scoring"}')).toBe(0);
    for (const leak of ['424242', 'secret-user-id-99', 'metrics-analyst-7']) expect(text).not.toContain(leak);
  });

  it('counts ingested transactions by outcome and batches by status, exactly, and names no one', async () => {
    const { key, clientId } = await createApiKey(t.db, 'metrics-platform-client');
    await seedUser(t.db, 'prom-user-alpha');
    await seedUser(t.db, 'prom-user-withdrawn', ['grant', 'withdraw']);
    const merchants = await t.app.inject({
      method: 'PUT',
      url: '/v1/merchants',
      headers: bearer(key),
      payload: {
        merchants: [{ merchantId: 'prom-merchant-1', name: 'Hidden Lantern Bakery', category: 'bakery' }],
      },
    });
    expect(merchants.statusCode, merchants.body).toBe(200);

    const before = await metricsText();
    // Every series is exported at 0 before anything happened.
    expect(sample(before, 'kindred_ingest_transactions_total{outcome="accepted"}')).toBe(0);
    expect(sample(before, 'kindred_ingest_batches_total{status="ingested"}')).toBe(0);

    const item = (transactionId: string, userId = 'prom-user-alpha', merchantId = 'prom-merchant-1') => ({
      transactionId,
      userId,
      merchantId,
      amountCents: 1800,
      currency: 'CNY',
      occurredAt: '2026-11-21T09:30:00+08:00',
    });
    const post = (idempotencyKey: string, transactions: ReturnType<typeof item>[]) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/transactions',
        headers: { ...bearer(key), 'idempotency-key': idempotencyKey },
        payload: { transactions },
      });

    const first = await post('prom-batch-1', [
      item('prom-t1'),
      item('prom-t2'),
      item('prom-t3', undefined, 'm-x'),
    ]);
    expect(first.json()).toMatchObject({
      accepted: 2,
      duplicate: 0,
      rejected: [{ code: 'unknown_merchant' }],
    });
    const secondBatch = [
      item('prom-t1'),
      item('prom-t2'),
      item('prom-t4'),
      item('prom-t5', 'prom-user-withdrawn'),
    ];
    const second = await post('prom-batch-2', secondBatch);
    expect(second.json()).toMatchObject({ accepted: 1, duplicate: 2, rejected: [{ code: 'no_consent' }] });
    // A replay answers from the stored response: the batch counts as replayed, its rows not again.
    const replay = await post('prom-batch-2', secondBatch);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const mismatch = await post('prom-batch-2', [item('prom-t6')]);
    expect(mismatch.statusCode).toBe(422);
    // Refused by the schema: never reaches the ingest service, counted only by the HTTP histogram.
    const invalid = await post('prom-batch-3', []);
    expect(invalid.statusCode).toBe(400);

    const text = await metricsText();
    const counts = Object.fromEntries(
      [
        'kindred_ingest_transactions_total{outcome="accepted"}',
        'kindred_ingest_transactions_total{outcome="duplicate"}',
        'kindred_ingest_transactions_total{outcome="rejected"}',
        'kindred_ingest_rejected_transactions_total{reason="unknown_merchant"}',
        'kindred_ingest_rejected_transactions_total{reason="no_consent"}',
        'kindred_ingest_rejected_transactions_total{reason="out_of_window"}',
        'kindred_ingest_batches_total{status="ingested"}',
        'kindred_ingest_batches_total{status="replayed"}',
        'kindred_ingest_batches_total{status="key_mismatch"}',
        'kindred_ingest_batches_total{status="in_flight"}',
        'kindred_ingest_batches_total{status="failed"}',
      ].map((series) => [series, sample(text, series)]),
    );
    expect(counts).toEqual({
      'kindred_ingest_transactions_total{outcome="accepted"}': 3,
      'kindred_ingest_transactions_total{outcome="duplicate"}': 2,
      'kindred_ingest_transactions_total{outcome="rejected"}': 2,
      'kindred_ingest_rejected_transactions_total{reason="unknown_merchant"}': 1,
      'kindred_ingest_rejected_transactions_total{reason="no_consent"}': 1,
      'kindred_ingest_rejected_transactions_total{reason="out_of_window"}': 0,
      'kindred_ingest_batches_total{status="ingested"}': 2,
      'kindred_ingest_batches_total{status="replayed"}': 1,
      'kindred_ingest_batches_total{status="key_mismatch"}': 1,
      'kindred_ingest_batches_total{status="in_flight"}': 0,
      'kindred_ingest_batches_total{status="failed"}': 0,
    });
    expect(text).toMatch(/route="\/v1\/transactions",status_code="400"\} 1\n/);

    // Names and platform ids must not appear anywhere; the internal numeric ids of users and the
    // client are small integers that occur in any number, so they must not appear as a label value.
    const users = await t.db.selectFrom('users').select(['id', 'external_id']).execute();
    expect(users.map((u) => u.external_id)).toContain('prom-user-alpha');
    const names = [
      ...users.map((u) => u.external_id),
      key,
      'metrics-platform-client',
      'prom-merchant-1',
      'Hidden Lantern Bakery',
      'prom-t1',
      'prom-batch-2',
    ];
    for (const name of names) expect(text, name).not.toContain(name);
    // Label values of Kindred's own series (not Node's process metrics), histogram bounds aside.
    const labelValues = new Set(
      text
        .split('\n')
        .filter((line) => line.startsWith('kindred_') && !/^kindred_(process|nodejs)_/.test(line))
        .flatMap((line) => [...line.matchAll(/([a-z_]+)="([^"]*)"/g)])
        .filter((m) => m[1] !== 'le')
        .map((m) => m[2]),
    );
    expect(labelValues).toContain('no_consent');
    for (const id of [...users.map((u) => u.id), clientId]) expect(labelValues.has(id), id).toBe(false);
  });
});
