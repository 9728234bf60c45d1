import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { pairUsers } from '../../../src/core/pairing/index.ts';
import type { PairingUser } from '../../../src/core/pairing/types.ts';
import { createPipelineRepository } from '../../../src/modules/pipeline/pipeline.repository.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder } from '../../e2e/match/fixtures.ts';

const now = new Date('2026-11-22T04:00:00Z');
let t: TestApp;
let ann: string;
let bob: string;

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(now) });
  const seed = seeder(t.db);
  const run = await seed.run('2026-11-22');
  ann = await seed.user(person('bp-ann', { gender: 'woman' }));
  bob = await seed.user(person('bp-bob', { gender: 'man' }));
  await seed.pair(run, '2026-11-22', ann, bob);
});
afterAll(async () => {
  await t.close();
});

describe('a block reaches the nightly pairing', () => {
  it("the next run's pairing input holds the block, and the pairing core never pairs them again", async () => {
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/v1/me/match/block',
      headers: bearer(userToken('bp-bob', 'user', { now })),
    });
    expect(blocked.statusCode).toBe(200);

    // The next night's run snapshots both users (as its prepare stage would).
    const next = await seeder(t.db).run('2026-11-23', 'pairing');
    await sql`
      INSERT INTO run_users (run_id, user_id, city, shard, gender, seeking, age, age_min, age_max, verified, only_verified)
      SELECT ${next}, id, 'Shanghai', 0, CASE WHEN id = ${ann} THEN 'woman' ELSE 'man' END,
             ARRAY['woman','man']::text[], 31, 18, 99, false, false
      FROM users WHERE id IN (${ann}, ${bob})`.execute(t.db);
    const blocks = await createPipelineRepository(t.db, t.deps.pool).runBlocks(next);
    expect(blocks).toEqual([[bob, ann]]);

    const user = (id: string, other: number, gender: 'woman' | 'man'): PairingUser => ({
      id,
      city: 'Shanghai',
      gender,
      seeking: ['woman', 'man'],
      age: 31,
      ageMin: 18,
      ageMax: 99,
      verified: false,
      onlyVerified: false,
      suspended: false,
      consentTransactions: true,
      consentMatching: true,
      candidates: { indices: [other], scores: [0.9], sharedCounts: [4] },
    });
    const users = [user(ann, 1, 'woman'), user(bob, 0, 'man')];
    const index = new Map(users.map((u, i) => [u.id, i]));
    const options = { date: '2026-11-23', minSharedMerchants: 2 };
    expect(pairUsers({ users, blocks: [], recentPairs: [] }, options).pairs).toHaveLength(1);
    const pairs = blocks.map(([a, b]) => [index.get(a) ?? -1, index.get(b) ?? -1] as const);
    expect(pairUsers({ users, blocks: pairs, recentPairs: [] }, options).pairs).toHaveLength(0);
  });
});
