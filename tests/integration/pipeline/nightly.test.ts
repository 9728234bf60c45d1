import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERCHANT_CATEGORIES } from '../../../src/core/scoring/weight-set.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { processPublish } from '../../../src/modules/pipeline/publish.jobs.ts';
import { processScore } from '../../../src/modules/pipeline/score.jobs.ts';
import { processPair } from '../../../src/modules/pipeline/pair.jobs.ts';
import { jobId } from '../../../src/queue/names.ts';
import { BUSINESS_DATE, createPipelineEnv, matchesOf, waitForRun, type PipelineTestEnv } from './harness.ts';

let env: PipelineTestEnv;
let runtime: PipelineRuntime;

beforeAll(async () => {
  env = await createPipelineEnv();
  runtime = createPipelineRuntime({ config: env.config, log: env.log, db: env.db, pool: env.pool });
  runtime.startWorkers();
}, 120_000);

afterAll(async () => {
  await runtime.close();
  await env.close();
});

const fakeJob = (data: unknown) => ({ id: 'test', data, updateProgress: () => Promise.resolve() });

describe('the nightly run through the real queues', () => {
  it('runs prepare → score shards → pair → publish and publishes symmetric matches', async () => {
    // Idempotency records past their 24 h go with the nightly purge; younger ones stay.
    await sql`
      WITH c AS (INSERT INTO api_clients (name, key_hash, key_prefix, scopes)
                 VALUES ('retention', decode(repeat('cd', 32), 'hex'), 'kdk_re', '{ingest}') RETURNING id)
      INSERT INTO idempotency_records (client_id, key, request_hash, state, created_at)
      SELECT id, k, decode('00', 'hex'), 'in_flight', now() - make_interval(hours => h)
      FROM c, (VALUES ('old', 25), ('young', 1)) AS r(k, h)`.execute(env.db);
    const { run, outcome } = await runtime.runsService.startRun(BUSINESS_DATE, 'test');
    expect(outcome).toBe('created');
    expect(await waitForRun(env.db, BUSINESS_DATE)).toBe('published');

    const final = await runtime.runsService.get(run.id);
    expect(final.eligibleUsers).toBe(300);
    const stages = final.stages as Record<string, Record<string, unknown>>;
    expect(stages['prepare']).toMatchObject({ shards: 3, eligibleUsers: 300 });
    expect(Object.keys(stages['score']?.['shards'] as object).sort()).toEqual(['0', '1', '2']);
    expect(stages['pair']?.['pairs']).toBeGreaterThan(10);
    expect(final.coverage).toBeGreaterThan(0);
    expect(final.coverage).toBeLessThanOrEqual(1);
    expect(final.pairedUsers).toBe(2 * Number(stages['pair']?.['pairs']));
    expect(stages['publish']?.['purgedIdempotencyRecords']).toBe(1);
    const keys = await env.db.selectFrom('idempotency_records').select('key').execute();
    expect(keys.map((k) => k.key)).toEqual(['young']);

    const matches = await matchesOf(env.db, BUSINESS_DATE);
    expect(matches.length).toBe(final.pairedUsers);
    const byUser = new Map(matches.map((m) => [m.user_id, m]));
    for (const m of matches) {
      const other = byUser.get(m.counterpart_id);
      expect(other?.counterpart_id).toBe(m.user_id);
      expect(other?.match_id).toBe(m.match_id);
      expect(other?.score).toBe(m.score);
      expect(m.alias).not.toBe(other?.alias);
      expect(m.score).toBeGreaterThanOrEqual(0);
      expect(m.score).toBeLessThanOrEqual(100);
      expect(m.top_categories.length).toBeLessThanOrEqual(3);
      for (const c of m.top_categories) expect(MERCHANT_CATEGORIES).toContain(c);
    }
  });

  it('pairs only eligible users: same city, mutual gender and age ranges', async () => {
    const bad = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM matches m
      JOIN profiles a ON a.user_id = m.user_id JOIN profiles b ON b.user_id = m.counterpart_id
      WHERE m.match_date = ${BUSINESS_DATE} AND (
        a.city <> b.city OR NOT (b.gender = ANY(a.seeking)) OR NOT (a.gender = ANY(b.seeking))
        OR (2026 - b.birth_year) NOT BETWEEN a.age_min AND a.age_max)`.execute(env.db);
    expect(bad.rows[0]?.n).toBe(0);
  });

  it('treats a second trigger of a published date as a no-op', async () => {
    const before = await matchesOf(env.db, BUSINESS_DATE);
    const { outcome } = await runtime.runsService.startRun(BUSINESS_DATE, 'test');
    expect(outcome).toBe('published');
    expect(await matchesOf(env.db, BUSINESS_DATE)).toEqual(before);
  });

  it('keeps job payloads to run ids, dates and shards', async () => {
    const job = await runtime.queues.queues.score.getJob(jobId.score(BUSINESS_DATE, 0, 1));
    expect(Object.keys(job?.data as object).sort()).toEqual(['attempt', 'date', 'runId', 'shard']);
    const progress = await runtime.queues.queues.publish.getJob(jobId.publish(BUSINESS_DATE, 1));
    expect(progress?.progress).toBe(100);
  });

  it('rewrites the same rows when a stage runs again', async () => {
    const run = await runtime.runsService.list(1).then((r) => r[0]!);
    const payload = { runId: run.id, date: run.date, attempt: 1 };
    const matchesBefore = await matchesOf(env.db, BUSINESS_DATE);
    const candidatesBefore =
      await sql`SELECT * FROM candidates WHERE run_id = ${run.id} ORDER BY user_id`.execute(env.db);

    // Replay shard 1, pairing and publishing as a duplicated job would.
    await sql`UPDATE scoring_runs SET status = 'scoring', stages = stages #- '{score,shards,1}' WHERE id = ${run.id}`.execute(
      env.db,
    );
    await processScore(runtime.ctx, fakeJob({ ...payload, shard: 1 }));
    await processPair(runtime.ctx, fakeJob(payload));
    await processPublish(runtime.ctx, fakeJob(payload));

    expect((await runtime.runsService.get(run.id)).status).toBe('published');
    const candidatesAfter =
      await sql`SELECT * FROM candidates WHERE run_id = ${run.id} ORDER BY user_id`.execute(env.db);
    expect(candidatesAfter.rows).toEqual(candidatesBefore.rows);
    expect(await matchesOf(env.db, BUSINESS_DATE)).toEqual(matchesBefore);
  });

  it('never logs personal data', () => {
    const text = env.logs.join('\n');
    expect(text).not.toMatch(/display_?name|contact|birth|amount|seeking/i);
    expect(env.logs.some((l) => l.includes('stage done'))).toBe(true);
  });
});
