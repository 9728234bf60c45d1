import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { MatchCardSchema } from '../../../src/core/masking/index.ts';
import { ErrorBody } from '../../../src/plugins/errors.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder, type Seeder } from './fixtures.ts';

// 12:00 in Shanghai on 2026-11-22; 20:00 on 2026-11-21 in Los Angeles.
let now = new Date('2026-11-22T04:00:00Z');
const clock: Clock = { now: () => new Date(now) };
let t: TestApp;
let seed: Seeder;
const TODAY = '2026-11-22';

const as = (sub: string) => bearer(userToken(sub, 'user', { now }));
const card = (sub: string) => t.app.inject({ method: 'GET', url: '/v1/me/match', headers: as(sub) });
const decide = (sub: string, decision: string, matchId?: string) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/me/match/decision',
    headers: as(sub),
    payload: matchId === undefined ? { decision } : { decision, matchId },
  });
const connections = (sub: string) =>
  t.app.inject({ method: 'GET', url: '/v1/me/connections', headers: as(sub) });
const reasonOf = (response: { json: () => unknown }) =>
  (ErrorBody.parse(response.json()).error as { reason?: string }).reason;

let runToday: string;
const ids: Record<string, string> = {};
const matchIds: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp({ clock });
  seed = seeder(t.db);
  runToday = await seed.run(TODAY);
  for (const [name, overrides] of Object.entries({
    ann: { birthYear: 1991, gender: 'woman' as const, verified: true },
    bob: { birthYear: 1988, gender: 'man' as const },
    cat: {},
    dan: { gender: 'nonbinary' as const },
    eve: {},
    fay: {},
    gil: {},
    hal: {},
    ivy: {},
    jon: {},
    kim: {},
    lee: {},
  })) {
    ids[name] = await seed.user(person(`card-${name}`, overrides));
  }
  ids['lax'] = await seed.user(person('card-lax', { timezone: 'America/Los_Angeles' }));
  ids['lay'] = await seed.user(person('card-lay', { timezone: 'America/Los_Angeles' }));
  ids['noprofile'] = await seed.user(person('card-noprofile'), { profile: false });
  ids['noconsent'] = await seed.user(person('card-noconsent'), { consents: false });
  ids['loner'] = await seed.user(person('card-loner'));
  const pair = async (a: string, b: string, date = TODAY, run = runToday) => {
    matchIds[a] = matchIds[b] = await seed.pair(run, date, ids[a] ?? '', ids[b] ?? '', {
      score: 81,
      bucket: '5+',
      categories: ['tea', 'books', 'coffee'],
      crossed: false,
    });
  };
  await pair('ann', 'bob');
  await pair('cat', 'dan');
  await pair('eve', 'fay');
  await pair('gil', 'hal');
  await pair('ivy', 'jon');
  await pair('kim', 'lee');
  await pair('lax', 'lay', '2026-11-21', await seed.run('2026-11-21'));
});
afterAll(async () => {
  await t.close();
});

describe('GET /v1/me/match', () => {
  it('is not_eligible for an unknown user, without a profile, without consents, or suspended', async () => {
    for (const sub of ['card-nobody', 'card-noprofile', 'card-noconsent']) {
      const response = await card(sub);
      expect(response.statusCode).toBe(404);
      expect(ErrorBody.parse(response.json()).error.code).toBe('no_match_today');
      expect(reasonOf(response)).toBe('not_eligible');
    }
  });

  it('is no_compatible_candidate for a user left unpaired by a published run', async () => {
    const response = await card('card-loner');
    expect(response.statusCode).toBe(404);
    expect(reasonOf(response)).toBe('no_compatible_candidate');
  });

  it('is run_pending before the run of the day is published', async () => {
    const before = now;
    try {
      now = new Date('2026-11-23T04:00:00Z');
      expect(reasonOf(await card('card-ann'))).toBe('run_pending');
      await seed.run('2026-11-23', 'pairing');
      expect(reasonOf(await card('card-ann'))).toBe('run_pending');
    } finally {
      now = before;
    }
  });

  it('serves the masked card, exactly the fields of design section 5, the same all day', async () => {
    const response = await card('card-bob');
    expect(response.statusCode).toBe(200);
    const body = MatchCardSchema.parse(response.json());
    expect(body).toEqual({
      matchId: matchIds['bob'],
      matchDate: TODAY,
      expiresAt: '2026-11-22T16:00:00.000Z',
      alias: expect.any(String) as string,
      ageBand: '35-39',
      gender: 'woman',
      city: 'Shanghai',
      verified: true,
      score: 81,
      reasons: {
        sharedMerchantCount: '5+',
        topSharedCategories: ['tea', 'books', 'coffee'],
        crossedPaths: false,
      },
      revealedMerchants: [],
      guessGame: { enabled: true, guessesLeft: 3, confirmed: [] },
      decision: 'pending',
    });
    const text = response.body;
    expect(text).not.toContain('card-ann');
    expect(text).not.toContain('Name of');
    expect(text).not.toContain('1991');
    expect(text).not.toContain('@handle');
    expect(text).not.toContain('stored alias');

    now = new Date('2026-11-22T15:59:59Z');
    const later = await card('card-bob');
    expect(later.json()).toEqual(response.json());
    now = new Date('2026-11-22T04:00:00Z');

    const other = MatchCardSchema.parse((await card('card-ann')).json());
    expect(other.matchId).toBe(body.matchId);
    expect(other.alias).not.toBe(body.alias);
    expect(other.ageBand).toBe('35-39'); // born 1988: 38 in 2026
    expect(other.gender).toBe('man');
    expect(other.verified).toBe(false);
  });

  it("uses the user's own calendar date and time zone for the day and the expiry", async () => {
    // 20:00 on 2026-11-21 in Los Angeles: the card of the 21st, expiring at local midnight.
    const body = MatchCardSchema.parse((await card('card-lax')).json());
    expect(body.matchDate).toBe('2026-11-21');
    expect(body.expiresAt).toBe('2026-11-22T08:00:00.000Z');
    now = new Date('2026-11-22T08:00:00Z');
    try {
      expect(reasonOf(await card('card-lax'))).toBe('no_compatible_candidate');
    } finally {
      now = new Date('2026-11-22T04:00:00Z');
    }
  });
});

describe('POST /v1/me/match/decision', () => {
  it('connects on a mutual like; the first liker waits and the other side is not told', async () => {
    expect((await connections('card-cat')).json()).toEqual({ connections: [] });
    const first = await decide('card-cat', 'like');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ state: 'waiting' });
    expect(MatchCardSchema.parse((await card('card-cat')).json()).decision).toBe('waiting');
    expect(MatchCardSchema.parse((await card('card-dan')).json()).decision).toBe('pending');
    expect((await connections('card-cat')).json()).toEqual({ connections: [] });
    expect((await connections('card-dan')).json()).toEqual({ connections: [] });

    const second = await decide('card-dan', 'like');
    expect(second.json()).toEqual({ state: 'connected' });
    expect(MatchCardSchema.parse((await card('card-cat')).json()).decision).toBe('connected');

    const catView = (await connections('card-cat')).json<{ connections: unknown[] }>();
    const catCard = MatchCardSchema.parse((await card('card-cat')).json());
    expect(catView.connections).toEqual([
      {
        matchId: matchIds['cat'],
        matchDate: TODAY,
        connectedAt: now.toISOString(),
        alias: catCard.alias,
        theirs: { contactHandle: '@handle-card-dan', reveals: [] },
        mine: { contactHandle: '@handle-card-cat', reveals: [] },
      },
    ]);
    const danView = (await connections('card-dan')).json<{
      connections: { theirs: { contactHandle: string } }[];
    }>();
    expect(danView.connections[0]?.theirs.contactHandle).toBe('@handle-card-cat');
    expect(JSON.stringify(danView)).not.toContain('"card-cat"');
    expect(JSON.stringify(danView)).not.toContain('Name of');
  });

  it('decides once: 409 already_decided', async () => {
    const again = await decide('card-cat', 'pass');
    expect(again.statusCode).toBe(409);
    expect(ErrorBody.parse(again.json()).error.code).toBe('already_decided');
  });

  it('a pass ends the match quietly: the liker keeps waiting, nobody connects', async () => {
    expect((await decide('card-eve', 'pass')).json()).toEqual({ state: 'passed' });
    expect((await decide('card-fay', 'like')).json()).toEqual({ state: 'waiting' });
    expect(MatchCardSchema.parse((await card('card-fay')).json()).decision).toBe('waiting');
    expect(MatchCardSchema.parse((await card('card-eve')).json()).decision).toBe('passed');
    expect((await connections('card-fay')).json()).toEqual({ connections: [] });
    // After the day the liker's old card reads `liked` in the export, never "passed by the other".
  });

  it('answers 410 match_expired for an earlier card and 404 match_not_found for a foreign id', async () => {
    const expired = await decide('card-lax', 'like', matchIds['lax']);
    // Los Angeles is still on the 21st at 04:00Z: that card is today's there.
    expect(expired.statusCode).toBe(200);
    // The next day in Shanghai: the run of the 23rd (left pairing above) is published now.
    now = new Date('2026-11-23T04:00:00Z');
    try {
      const run = await t.db
        .updateTable('scoring_runs')
        .set({ status: 'published' })
        .where('business_date', '=', '2026-11-23')
        .returning('id')
        .executeTakeFirstOrThrow();
      const next = await seed.pair(run.id, '2026-11-23', ids['gil'] ?? '', ids['ivy'] ?? '');
      const stale = await decide('card-gil', 'like', matchIds['gil']);
      expect(stale.statusCode).toBe(410);
      expect(ErrorBody.parse(stale.json()).error.code).toBe('match_expired');
      const foreign = await decide('card-gil', 'like', matchIds['kim']);
      expect(foreign.statusCode).toBe(404);
      expect(ErrorBody.parse(foreign.json()).error.code).toBe('match_not_found');
      expect((await decide('card-gil', 'like', next)).json()).toEqual({ state: 'waiting' });
    } finally {
      now = new Date('2026-11-22T04:00:00Z');
    }
  });

  it('two likes at the same moment connect: the second sees the first under the lock', async () => {
    const [a, b] = await Promise.all([decide('card-kim', 'like'), decide('card-lee', 'like')]);
    const states = [a.json(), b.json()].map((x) => (x as { state: string }).state).sort();
    expect(states).toEqual(['connected', 'waiting']);
    expect(MatchCardSchema.parse((await card('card-kim')).json()).decision).toBe('connected');
  });

  it('validates the body: 400 naming the field', async () => {
    const response = await decide('card-hal', 'maybe');
    expect(response.statusCode).toBe(400);
    expect(ErrorBody.parse(response.json()).error.details[0]?.path).toBe('body.decision');
  });
});

describe('ending a match for both sides', () => {
  it('withdrawing matching consent ends it: not_eligible for the one, no_compatible_candidate for the other', async () => {
    expect((await card('card-hal')).statusCode).toBe(200);
    const withdrawn = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/consents/matching',
      headers: as('card-hal'),
    });
    expect(withdrawn.statusCode).toBe(200);
    expect(reasonOf(await card('card-hal'))).toBe('not_eligible');
    expect(reasonOf(await card('card-gil'))).toBe('no_compatible_candidate');
    const decision = await decide('card-gil', 'like');
    expect(decision.statusCode).toBe(404);
  });

  it('erasing the account ends it for the counterpart', async () => {
    expect((await card('card-ivy')).statusCode).toBe(200);
    expect(
      (await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: as('card-jon') })).statusCode,
    ).toBe(204);
    expect(reasonOf(await card('card-ivy'))).toBe('no_compatible_candidate');
  });

  it('suspension makes the user not eligible', async () => {
    await t.db
      .updateTable('users')
      .set({ suspended_at: now })
      .where('id', '=', ids['eve'] ?? '')
      .execute();
    expect(reasonOf(await card('card-eve'))).toBe('not_eligible');
  });
});
