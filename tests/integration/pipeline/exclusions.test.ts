import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createPipelineRuntime } from '../../../src/modules/pipeline/runtime.ts';
import { BUSINESS_DATE, createPipelineEnv, waitForRun, type PipelineTestEnv } from './harness.ts';

/**
 * Blocks are applied while candidates are generated, not removed afterwards. A first run keeps up
 * to 20 candidates per user; take a user with c > 10 of them. In a second run on the same data
 * keeping 10, after that user blocked c − 10 of their candidates, the pool is still full: 10 of
 * the unblocked ones. Removal after generation would find the 10 best first, then drop every
 * blocked one among them.
 */
type Weights = { candidatePoolSize: number; topK: number };

type Pools = Map<string, string[]>;

async function runPools(weights: Weights, blocks: Array<[string, string]>): Promise<Pools> {
  const env: PipelineTestEnv = await createPipelineEnv({ users: 1500, seed: 5 });
  const runtime = createPipelineRuntime({ config: env.config, log: env.log, db: env.db, pool: env.pool });
  try {
    await sql`
      WITH ws AS (
        INSERT INTO weight_sets (name, version, params, created_by)
        VALUES ('full-pools', 2, ${JSON.stringify(weights)}::jsonb, 'test') RETURNING id)
      INSERT INTO weight_set_activations (weight_set_id, activated_by) SELECT id, 'test' FROM ws`.execute(
      env.db,
    );
    for (const [blocker, blocked] of blocks) {
      await sql`
        INSERT INTO blocks (blocker_id, blocked_id)
        SELECT a.id, b.id FROM users a, users b WHERE a.external_id = ${blocker} AND b.external_id = ${blocked}`.execute(
        env.db,
      );
    }
    runtime.startWorkers();
    await runtime.runsService.startRun(BUSINESS_DATE, 'test');
    expect(await waitForRun(env.db, BUSINESS_DATE, 120_000)).toBe('published');
    const { rows } = await sql<{ user: string; candidates: string[] }>`
      SELECT u.external_id AS user,
             array(SELECT cu.external_id FROM unnest(c.candidate_ids) WITH ORDINALITY AS x(id, n)
                   JOIN users cu ON cu.id = x.id ORDER BY x.n) AS candidates
      FROM candidates c JOIN users u ON u.id = c.user_id`.execute(env.db);
    return new Map(rows.map((r) => [r.user, r.candidates]));
  } finally {
    await runtime.close();
    await env.close();
  }
}

describe('blocks during candidate generation', () => {
  it('keeps a full pool for a user who blocked some of their best candidates', async () => {
    const first = await runPools({ candidatePoolSize: 20, topK: 20 }, []);
    const [user, pool] = [...first.entries()].sort(
      ([a, x], [b, y]) => y.length - x.length || a.localeCompare(b),
    )[0] ?? ['', []];
    expect(pool.length, 'a user with more than 10 candidates').toBeGreaterThan(10);
    const blocked = pool.slice(0, pool.length - 10);

    const second = await runPools(
      { candidatePoolSize: 10, topK: 10 },
      blocked.map((b) => [user, b]),
    );
    const refilled = second.get(user) ?? [];
    expect(refilled).toHaveLength(10);
    expect(refilled.filter((c) => !pool.includes(c) || blocked.includes(c))).toEqual([]);
    // Nor does any blocked user keep the blocker in their pool: blocks count both ways.
    for (const b of blocked) expect(second.get(b) ?? []).not.toContain(user);
  });
});
