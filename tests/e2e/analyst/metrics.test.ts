import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

const NOW = '2026-11-22T10:00:00Z';
const K = 20;
let t: TestApp;
let userIds: string[] = [];

type Bucket = {
  fromPercentile: number;
  toPercentile: number;
  users: number;
  minScore: number;
  maxScore: number;
  likeRate: number;
  mutualRate: number;
};
type Day = {
  date: string;
  eligibleUsers: number | null;
  matchedUsers: number;
  matchedShare: number | null;
  likeRate: number | null;
  mutualRate: number | null;
  byScoreDecile: Bucket[];
};

/**
 * Publishes a day: `users` users paired in score order (pair i has score `scoreOf(i)`); both sides
 * of the pairs for which `mutual(i)` like, and one side only where `oneSided(i)`.
 */
async function publishDay(
  date: string,
  users: number,
  eligible: number,
  scoreOf: (pair: number) => number,
  mutual: (pair: number) => boolean,
): Promise<void> {
  const run = await t.db
    .insertInto('scoring_runs')
    .values({
      business_date: date,
      status: 'published',
      weight_set_id: '1',
      weight_params: '{}',
      triggered_by: 'test',
      eligible_users: eligible,
      paired_users: users,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let pair = 0; pair < users / 2; pair++) {
    const a = userIds[2 * pair]!;
    const b = userIds[2 * pair + 1]!;
    const matchId = randomUUID();
    const row = (user: string, counterpart: string) => ({
      user_id: user,
      match_date: date,
      match_id: matchId,
      run_id: run.id,
      counterpart_id: counterpart,
      alias: 'Quiet Otter',
      score: scoreOf(pair),
      shared_bucket: '2' as const,
      top_categories: [],
      crossed_paths: false,
    });
    await t.db
      .insertInto('matches')
      .values([row(a, b), row(b, a)])
      .execute();
    if (mutual(pair)) {
      await t.db
        .insertInto('decisions')
        .values([
          { match_id: matchId, user_id: a, decision: 'like' },
          { match_id: matchId, user_id: b, decision: 'like' },
        ])
        .execute();
    } else if (pair % 2 === 0) {
      await t.db
        .insertInto('decisions')
        .values({ match_id: matchId, user_id: a, decision: 'like' })
        .execute();
    }
  }
}

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(NOW), config: { K_ANON: K } });
  const rows = await t.db
    .insertInto('users')
    .values(Array.from({ length: 260 }, (_, i) => ({ external_id: `metrics-user-${String(i)}` })))
    .returning('id')
    .execute();
  userIds = rows.map((r) => r.id);
  // 60 matched users: 3 buckets of 20; the top scores are mutual likes.
  await publishDay(
    '2026-11-10',
    60,
    80,
    (p) => 40 + p,
    (p) => p >= 20,
  );
  // 10 matched users: under K, rates and buckets withheld.
  await publishDay(
    '2026-11-11',
    10,
    30,
    (p) => 50 + p,
    () => true,
  );
  // 250 matched users: 10 deciles of 25.
  await publishDay(
    '2026-11-12',
    250,
    300,
    (p) => Math.min(100, p),
    (p) => p % 5 === 0,
  );
});
afterAll(async () => {
  await t.close();
});

const daily = (query: string, role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  t.app.inject({
    method: 'GET',
    url: `/v1/analyst/metrics/daily${query}`,
    headers: bearer(userToken('ana-m', role, { now: new Date(NOW) })),
  });

describe('GET /v1/analyst/metrics/daily', () => {
  it('per day: eligible users, matched share, like and mutual rates, buckets of at least K_ANON users', async () => {
    const response = await daily('?from=2026-11-01&to=2026-11-22');
    expect(response.statusCode).toBe(200);
    const { days, kAnon } = response.json<{ days: Day[]; kAnon: number }>();
    expect(kAnon).toBe(K);
    expect(days.map((d) => d.date)).toEqual(['2026-11-10', '2026-11-11', '2026-11-12']);

    const [first, small, big] = days as [Day, Day, Day];
    expect(first).toMatchObject({ eligibleUsers: 80, matchedUsers: 60, matchedShare: 0.75 });
    // 10 of 30 pairs mutual (20 users); likes: 20 mutual users + 10 one-sided of the other 20 pairs.
    expect(first.mutualRate).toBeCloseTo(20 / 60, 12);
    expect(first.likeRate).toBeCloseTo(30 / 60, 12);
    expect(first.byScoreDecile.map((b) => [b.fromPercentile, b.toPercentile, b.users])).toEqual([
      [0, 33, 20],
      [33, 67, 20],
      [67, 100, 20],
    ]);
    expect(first.byScoreDecile[2]).toMatchObject({ mutualRate: 1, likeRate: 1 });
    expect(first.byScoreDecile[0]).toMatchObject({ mutualRate: 0 });

    expect(small).toMatchObject({ matchedUsers: 10, likeRate: null, mutualRate: null, byScoreDecile: [] });

    expect(big.byScoreDecile).toHaveLength(10);
    expect(big.byScoreDecile.every((b) => b.users === 25)).toBe(true);
    expect(big.matchedShare).toBeCloseTo(250 / 300, 12);
  });

  it('no bucket under K_ANON users ever appears, and no user id', async () => {
    const response = await daily('?from=2026-11-01&to=2026-11-22');
    const { days } = response.json<{ days: Day[] }>();
    for (const day of days)
      for (const bucket of day.byScoreDecile) expect(bucket.users).toBeGreaterThanOrEqual(K);
    expect(response.body).not.toMatch(/metrics-user/);
    for (const id of userIds.slice(0, 5)) expect(response.body).not.toContain(`"${id}"`);
  });

  it('validates the range and the role', async () => {
    expect((await daily('?from=2026-11-20&to=2026-11-01')).statusCode).toBe(400);
    expect((await daily('?from=2024-01-01&to=2026-11-01')).statusCode).toBe(400);
    expect((await daily('?from=yesterday')).statusCode).toBe(400);
    expect((await daily('', 'user')).statusCode).toBe(403);
    const defaults = await daily('', 'admin');
    expect(defaults.statusCode).toBe(200);
    expect(defaults.json()).toMatchObject({ from: '2026-10-23', to: '2026-11-22' });
  });
});
