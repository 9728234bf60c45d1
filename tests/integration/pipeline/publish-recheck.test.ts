import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processPublish } from '../../../src/modules/pipeline/publish.jobs.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { BUSINESS_DATE, createPipelineEnv, matchesOf, type PipelineTestEnv } from './harness.ts';

/**
 * Consent, profile and suspension can change while a run is in flight: publish re-checks them in
 * its own transaction and leaves out the pairs of users who no longer qualify.
 */
let env: PipelineTestEnv;
let runtime: PipelineRuntime;

beforeAll(async () => {
  env = await createPipelineEnv();
  runtime = createPipelineRuntime({ config: env.config, log: env.log, db: env.db, pool: env.pool });
}, 120_000);

afterAll(async () => {
  await runtime.close();
  await env.close();
});

const fakeJob = (data: unknown) => ({ id: 'test', data, updateProgress: () => Promise.resolve() });

async function statusOf(): Promise<string | undefined> {
  const r = await sql<{ status: string }>`
    SELECT status FROM scoring_runs WHERE business_date = ${BUSINESS_DATE}`.execute(env.db);
  return r.rows[0]?.status;
}

describe('publish after changes made mid-run', () => {
  it('skips the pairs of users who withdrew a consent, lost their profile or were suspended', async () => {
    // Every stage but publish: the run stops at `publishing`.
    runtime.startWorkers({ queues: ['nightly', 'prepare', 'score', 'pair'] });
    const { run } = await runtime.runsService.startRun(BUSINESS_DATE, 'test');
    const deadline = Date.now() + 90_000;
    while ((await statusOf()) !== 'publishing') {
      if (Date.now() > deadline) throw new Error('run never reached publishing');
      await new Promise((r) => setTimeout(r, 200));
    }
    const pairs = await sql<{ user_a: string; user_b: string }>`
      SELECT user_a, user_b FROM run_pairs WHERE run_id = ${run.id} ORDER BY user_a`.execute(env.db);
    expect(pairs.rows.length).toBeGreaterThan(10);
    const [withdrew, erased, suspended, withdrewTx] = pairs.rows;
    await sql`INSERT INTO consent_events (user_id, purpose, action, policy_version)
              VALUES (${withdrew!.user_a}, 'matching', 'withdraw', 'v1'),
                     (${withdrewTx!.user_b}, 'transactions', 'withdraw', 'v1')`.execute(env.db);
    await sql`DELETE FROM profiles WHERE user_id = ${erased!.user_b}`.execute(env.db);
    await sql`UPDATE users SET suspended_at = now() WHERE id = ${suspended!.user_a}`.execute(env.db);

    const result = await processPublish(runtime.ctx, fakeJob({ runId: run.id, date: run.date, attempt: 1 }));
    expect(result).toMatchObject({ skippedPairs: 4 });
    expect(await statusOf()).toBe('published');

    const matches = await matchesOf(env.db, BUSINESS_DATE);
    expect(matches.length).toBe(2 * (pairs.rows.length - 4));
    const gone = new Set([withdrew, erased, suspended, withdrewTx].flatMap((p) => [p!.user_a, p!.user_b]));
    for (const m of matches) {
      expect(gone.has(m.user_id)).toBe(false);
      expect(gone.has(m.counterpart_id)).toBe(false);
    }
    const stages = (await runtime.runsService.get(run.id)).stages as Record<string, Record<string, unknown>>;
    expect(stages['publish']).toMatchObject({ skippedPairs: 4, matchesRows: matches.length });
  });
});
