import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineRepository } from '../../../src/modules/pipeline/pipeline.repository.ts';
import { pairReasons } from '../../../src/modules/pipeline/reasons.ts';
import {
  buildCityMatrix,
  overlapScaleBound,
  type FeatureRow,
} from '../../../src/modules/pipeline/shard-scoring.ts';
import { createPipelineRuntime, type PipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { weightsOf } from '../../../src/modules/runs/runs.service.ts';
import { jobId } from '../../../src/queue/names.ts';
import { runWindow } from '../../../src/queue/schedule.ts';
import { BUSINESS_DATE, createPipelineEnv, waitForRun, type PipelineTestEnv } from './harness.ts';

let env: PipelineTestEnv;
let runtime: PipelineRuntime;
let runId: string;

beforeAll(async () => {
  env = await createPipelineEnv({ users: 400, seed: 5 });
  runtime = createPipelineRuntime({ config: env.config, log: env.log, db: env.db, pool: env.pool });
  runtime.startWorkers();
  runId = (await runtime.runsService.startRun(BUSINESS_DATE, 'test')).run.id;
  expect(await waitForRun(env.db, BUSINESS_DATE)).toBe('published');
}, 120_000);
afterAll(async () => {
  await runtime.close();
  await env.close();
});

type Visit = { merchantId: string; visits: number; lastDay: number; amount: number; minutes: number[] };

/** The window's visits of the run's users, aggregated by the definition, in one plain query. */
async function expectedVisits(): Promise<Map<string, Visit[]>> {
  const run = await runtime.runsService.get(runId);
  const weights = weightsOf(await runtime.ctx.runs.findById(runId).then((r) => r!));
  const window = runWindow(run.date, weights.windowDays, env.config.MATCH_TIMEZONE);
  const rows = await sql<{
    user_id: string;
    merchant_id: string;
    visits: number;
    amount: string;
    minutes: number[];
  }>`
    SELECT t.user_id, t.merchant_id, count(*)::int AS visits, sum(t.amount_cents) AS amount,
           array_agg(floor(extract(epoch FROM t.occurred_at - ${window.start}::timestamptz) / 60)::int
                     ORDER BY t.occurred_at) AS minutes
    FROM transactions t JOIN run_users ru ON ru.run_id = ${runId} AND ru.user_id = t.user_id
    WHERE t.occurred_at >= ${window.start} AND t.occurred_at < ${window.end}
      AND t.amount_cents >= ${weights.minAmountCents}
    GROUP BY t.user_id, t.merchant_id
    ORDER BY t.user_id, t.merchant_id`.execute(env.db);
  const byUser = new Map<string, Visit[]>();
  for (const r of rows.rows) {
    const minutes = [...r.minutes].sort((a, b) => a - b);
    const visit = {
      merchantId: r.merchant_id,
      visits: r.visits,
      lastDay: Math.floor(Math.max(...minutes) / 1440),
      amount: Number(r.amount),
      minutes,
    };
    byUser.set(r.user_id, [...(byUser.get(r.user_id) ?? []), visit]);
  }
  return byUser;
}

describe('prepare in parts, one per hash partition of transactions', () => {
  it('ran every part as a child job of prepare, and recorded each once', async () => {
    const run = await runtime.ctx.runs.findById(runId);
    const prepare = run?.stages['prepare'] as {
      parts: Record<string, { featureUsers: number }>;
      partCount: number;
      featureUsers: number;
      eligibleUsers: number;
    };
    const parts = await createPipelineRepository(env.db, env.pool).transactionParts();
    expect(parts.length).toBe(8);
    expect(prepare.partCount).toBe(parts.length);
    expect(Object.keys(prepare.parts).sort()).toEqual(parts.map((p) => String(p.part)).sort());
    const summed = Object.values(prepare.parts).reduce((n, p) => n + p.featureUsers, 0);
    expect(summed).toBe(prepare.featureUsers);
    expect(prepare.featureUsers).toBeGreaterThan(300);
    for (const { part } of parts) {
      const job = await runtime.queues.queues.prepare.getJob(jobId.preparePart(BUSINESS_DATE, part, 1));
      expect(await job?.getState()).toBe('completed');
    }
  });

  it("gives every user exactly the window's visits, and every merchant its df, as one plain query does", async () => {
    const pipeline = createPipelineRepository(env.db, env.pool);
    const expected = await expectedVisits();
    const merchants = await pipeline.merchants(runId);
    // the dense index follows merchant id order
    const ids = merchants.merchantIds.map(Number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const df = new Map<string, number>();
    for (const visits of expected.values())
      for (const v of visits) df.set(v.merchantId, (df.get(v.merchantId) ?? 0) + 1);
    expect(new Map(merchants.merchantIds.map((id, i) => [id, merchants.df[i]]))).toEqual(df);

    const users = await pipeline.loadUsers(runId, merchants);
    let withFeatures = 0;
    for (const user of users) {
      const visits = expected.get(user.userId) ?? [];
      if (visits.length > 0) withFeatures++;
      expect(user.merchants.map((idx) => merchants.merchantIds[idx])).toEqual(
        visits.map((v) => v.merchantId),
      );
      expect(user.visits).toEqual(visits.map((v) => v.visits));
      expect(user.lastDays).toEqual(visits.map((v) => v.lastDay));
      expect(user.minutes).toEqual(visits.flatMap((v) => v.minutes));
      expect(user.amountCents).toBe(visits.reduce((n, v) => n + v.amount, 0));
      expect(user.txnCount).toBe(visits.reduce((n, v) => n + v.visits, 0));
    }
    let rows = 0;
    await pipeline.featureRows(runId, merchants, () => rows++);
    expect(withFeatures).toBe(rows);
  });

  it("gives every published card the reasons of its pair's features, as the shards load them", async () => {
    const pipeline = createPipelineRepository(env.db, env.pool);
    const run = await runtime.ctx.runs.findById(runId);
    const weights = weightsOf(run!);
    const activeUsers = (run?.stages['prepare'] as { featureUsers: number }).featureUsers;
    const merchants = await pipeline.merchants(runId);
    const users = new Map((await pipeline.loadUsers(runId, merchants)).map((u) => [u.userId, u]));
    const pairs = await pipeline.pairs(runId);
    expect(pairs.length).toBeGreaterThan(50);
    const rows = await sql<{
      user_id: string;
      counterpart_id: string;
      shared_bucket: string;
      top_categories: string[];
    }>`
      SELECT user_id, counterpart_id, shared_bucket, top_categories FROM matches WHERE run_id = ${runId}`.execute(
      env.db,
    );
    const card = new Map(rows.rows.map((r) => [`${r.user_id}:${r.counterpart_id}`, r]));
    let withCategories = 0;
    for (const p of pairs) {
      const a = users.get(p.userA);
      const b = users.get(p.userB);
      if (a === undefined || b === undefined) throw new Error('a paired user without a snapshot');
      const reasons = pairReasons(a, b, weights, merchants, activeUsers, p.shared);
      for (const key of [`${p.userA}:${p.userB}`, `${p.userB}:${p.userA}`]) {
        expect(card.get(key)).toMatchObject({
          shared_bucket: reasons.sharedBucket,
          top_categories: reasons.topCategories,
        });
      }
      if (reasons.topCategories.length > 0) withCategories++;
    }
    expect(withCategories).toBe(pairs.length);
  });

  it("bounds the run's largest pair from the parts, above the bound of the run's own weights", async () => {
    const pipeline = createPipelineRepository(env.db, env.pool);
    const run = await runtime.ctx.runs.findById(runId);
    const weights = weightsOf(run!);
    const prepare = run?.stages['prepare'] as {
      scaleBound: number;
      featureUsers: number;
      parts: Record<string, { scaleBound: number }>;
    };
    const merchants = await pipeline.merchants(runId);
    let largest = 0;
    for (const part of await pipeline.transactionParts()) {
      // the part's users: those whose feature row is in its partition
      const users = await sql<{ user_id: string }>`
        SELECT user_id FROM ${sql.table(part.features)} WHERE run_id = ${runId}`.execute(env.db);
      const rows: FeatureRow[] = [];
      await pipeline.featureRows(
        runId,
        merchants,
        (_, row) => rows.push(row),
        users.rows.map((u) => u.user_id),
      );
      // the part's users weighted with the run's N and df (what a shard computes)
      const exact = overlapScaleBound(
        buildCityMatrix(rows, merchants, weights, {
          population: { activeUsers: prepare.featureUsers, df: merchants.df },
        }),
      );
      expect(exact).toBeGreaterThan(0);
      expect(prepare.parts[String(part.part)]!.scaleBound).toBeGreaterThanOrEqual(exact);
      largest = Math.max(largest, exact);
    }
    expect(prepare.scaleBound).toBe(Math.max(...Object.values(prepare.parts).map((p) => p.scaleBound)));
    expect(prepare.scaleBound).toBeGreaterThanOrEqual(largest);
    const runMax = (run?.stages['pair'] as { runMaxOverlap: number }).runMaxOverlap;
    expect(runMax).toBeGreaterThan(0);
    expect(runMax).toBeLessThanOrEqual(prepare.scaleBound);
  });
});
