import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { AppError } from '../../../src/errors.ts';
import { createMatchRepository } from '../../../src/modules/match/match.repository.ts';
import { createTodayResolver, type Today } from '../../../src/modules/match/today.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { person, seeder } from '../../e2e/match/fixtures.ts';

// 12:00 in Shanghai on 2026-11-22; 20:00 on 2026-11-21 in Los Angeles.
const now = new Date('2026-11-22T04:00:00Z');
const clock: Clock = { now: () => new Date(now) };
let t: TestApp;
const ids: Record<string, string> = {};
const matchIds: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp({ clock });
  const seed = seeder(t.db);
  const today = await seed.run('2026-11-22');
  const yesterday = await seed.run('2026-11-21');
  for (const name of ['ann', 'bob', 'cat', 'dan', 'lone']) ids[name] = await seed.user(person(`tb-${name}`));
  ids['lax'] = await seed.user(person('tb-lax', { timezone: 'America/Los_Angeles' }));
  ids['lay'] = await seed.user(person('tb-lay', { timezone: 'America/Los_Angeles' }));
  ids['noprofile'] = await seed.user(person('tb-noprofile'), { profile: false });
  ids['noconsent'] = await seed.user(person('tb-noconsent'), { consents: false });
  for (const [a, b, date, run] of [
    ['ann', 'bob', '2026-11-22', today],
    ['cat', 'dan', '2026-11-22', today],
    ['lax', 'lay', '2026-11-21', yesterday],
  ] as const) {
    matchIds[a] = matchIds[b] = await seed.pair(run, date, ids[a] ?? '', ids[b] ?? '');
  }
});
afterAll(async () => {
  await t.close();
});

/** A resolver over the real repository that records the batches it was asked. */
function recordingResolver() {
  const repository = createMatchRepository(t.db, t.deps.pool);
  const batches: string[][] = [];
  const resolve = createTodayResolver({
    clock,
    matches: {
      todayOf: (externalIds, at) => {
        batches.push([...externalIds]);
        return repository.todayOf(externalIds, at);
      },
    },
  });
  return { resolve, batches };
}

/** A card's outcome: the match and counterpart, or the 404's reason. */
const outcome = (settled: PromiseSettledResult<Today>) => {
  if (settled.status === 'fulfilled') {
    const { match, date } = settled.value;
    return { date, matchId: match.matchId, counterpartId: match.counterpartId };
  }
  const error = settled.reason as AppError;
  expect(error).toBeInstanceOf(AppError);
  return { reason: error.extra['reason'] };
};

describe("today's match, resolved in batches", () => {
  const callers = [
    'ann',
    'bob',
    'nobody',
    'cat',
    'lone',
    'lax',
    'noprofile',
    'dan',
    'lay',
    'noconsent',
    'ann',
  ];
  const subs = callers.map((name) => `tb-${name}`);

  it('reads the callers of one turn of the event loop in one statement', async () => {
    const { resolve, batches } = recordingResolver();
    await Promise.allSettled(subs.map((sub) => resolve(sub)));
    expect(batches).toEqual([subs]);
  });

  it("answers each caller of a batch exactly as a batch of their own, whatever the others' outcome", async () => {
    const together = recordingResolver();
    const batched = await Promise.allSettled(subs.map((sub) => together.resolve(sub)));
    const alone = recordingResolver();
    const single: PromiseSettledResult<Today>[] = [];
    for (const sub of subs) single.push(...(await Promise.allSettled([alone.resolve(sub)])));
    expect(alone.batches).toHaveLength(subs.length);

    expect(batched.map(outcome)).toEqual(single.map(outcome));
    expect(batched.map(outcome)).toEqual([
      { date: '2026-11-22', matchId: matchIds['ann'], counterpartId: ids['bob'] },
      { date: '2026-11-22', matchId: matchIds['bob'], counterpartId: ids['ann'] },
      { reason: 'not_eligible' },
      { date: '2026-11-22', matchId: matchIds['cat'], counterpartId: ids['dan'] },
      { reason: 'no_compatible_candidate' },
      { date: '2026-11-21', matchId: matchIds['lax'], counterpartId: ids['lay'] },
      { reason: 'not_eligible' },
      { date: '2026-11-22', matchId: matchIds['dan'], counterpartId: ids['cat'] },
      { date: '2026-11-21', matchId: matchIds['lay'], counterpartId: ids['lax'] },
      { reason: 'not_eligible' },
      { date: '2026-11-22', matchId: matchIds['ann'], counterpartId: ids['bob'] },
    ]);
  });

  it('splits a crowd into statements of at most 128 callers', async () => {
    const { resolve, batches } = recordingResolver();
    const crowd = Array.from({ length: 300 }, (_, i) => subs[i % subs.length] ?? '');
    const settled = await Promise.allSettled(crowd.map((sub) => resolve(sub)));
    expect(batches.map((b) => b.length)).toEqual([128, 128, 44]);
    expect(settled.map(outcome)).toEqual(
      crowd.map((_, i) => outcome(settled[i % subs.length] as PromiseSettledResult<Today>)),
    );
  });
});
