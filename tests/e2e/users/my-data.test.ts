import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { bearer, createApiKey, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import {
  ADA,
  BEN,
  CAL,
  MATCH_BEN_CAL,
  MATCH_PAST,
  MATCH_TODAY,
  TODAY,
  seedWorld,
  type World,
} from './world.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
let t: TestApp;
let world: World;

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(NOW) });
  world = await seedWorld(t.db);
});
afterAll(async () => {
  await t.close();
});

const as = (sub: string) => bearer(userToken(sub, 'user', { now: NOW }));
const get = (sub: string, url: string) => t.app.inject({ method: 'GET', url, headers: as(sub) });

/** What belongs to Ben and Cal and must never reach Ada. */
const OTHERS = [
  BEN.externalId,
  BEN.displayName,
  BEN.contactHandle,
  CAL.externalId,
  CAL.displayName,
  CAL.contactHandle,
  'tx-ben-1',
  'tx-ben-2',
  'tx-cal-1',
  'Iron Lotus Gym', // only Ben bought there
  'Amber Fox', // Ada's alias on the others' cards
  'Blue Owl',
  'Red Kite',
  MATCH_BEN_CAL, // Ben and Cal's match
];

describe('GET /v1/me/data', () => {
  it("exports everything held about me, and nobody else's ids, names or transactions", async () => {
    const response = await get(ADA.externalId, '/v1/me/data');
    expect(response.statusCode).toBe(200);
    const body = response.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      exportedAt: NOW.toISOString(),
      user: { userId: ADA.externalId, suspended: false },
      attributes: { verified: true, trusted: true },
      profile: {
        displayName: ADA.displayName,
        seeking: ['woman', 'man'],
        contactHandle: ADA.contactHandle,
        timezone: 'Asia/Shanghai',
      },
      consentEvents: [
        { purpose: 'transactions', action: 'grant', policyVersion: 'v1' },
        { purpose: 'matching', action: 'grant', policyVersion: 'v1' },
      ],
      reveals: [{ merchantId: 'mer-tea', name: 'Jade Leaf Tea House', category: 'tea' }],
      candidatePools: [{ runDate: TODAY, candidates: 2 }],
      decisions: [{ matchId: MATCH_TODAY, decision: 'like' }],
      guesses: [
        { matchId: MATCH_TODAY, merchantId: 'mer-tea', merchantName: 'Jade Leaf Tea House', correct: true },
      ],
      reportsMade: [{ matchId: MATCH_PAST, reason: 'spam', note: 'Ada wrote this note' }],
    });
    expect(body['transactions']).toEqual([
      expect.objectContaining({
        transactionId: 'tx-ada-3',
        merchantId: 'mer-books',
        amountCents: 2500,
        currency: 'CNY',
      }),
      expect.objectContaining({ transactionId: 'tx-ada-1', merchantId: 'mer-tea' }),
      expect.objectContaining({ transactionId: 'tx-ada-2', merchantId: 'mer-tea' }),
    ]);
    // A match is my own card: never the counterpart's id, internal or external.
    const matches = body['matches'] as Record<string, unknown>[];
    expect(matches.map((m) => Object.keys(m).sort())).toEqual(
      Array(2).fill(
        [
          'alias',
          'createdAt',
          'crossedPaths',
          'endedAt',
          'endedReason',
          'matchDate',
          'matchId',
          'score',
          'sharedMerchantCount',
          'topSharedCategories',
        ].sort(),
      ),
    );
    expect(matches.map((m) => m['alias'])).toEqual(['Silver Wren', 'Quiet Heron']);
    // Blocks made say when, never whom.
    expect(body['blocksMade']).toEqual([{ blockedAt: expect.any(String) as unknown }]);

    const text = response.body;
    for (const needle of OTHERS) expect(text).not.toContain(needle);
    for (const id of [world.ben, world.cal]) expect(text).not.toMatch(new RegExp(`"[^"]*Id":"?${id}"?[,}]`));
  });

  it('exports an empty record for a user never seen', async () => {
    const response = await get('nobody-here', '/v1/me/data');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      user: { userId: 'nobody-here', createdAt: null },
      profile: null,
      transactions: [],
      matches: [],
      blocksMade: [],
    });
    expect(
      await t.db.selectFrom('users').select('id').where('external_id', '=', 'nobody-here').execute(),
    ).toEqual([]);
  });
});

describe('BOLA: the user is the token, never a parameter', () => {
  it("reaches none of another user's data through any user route", async () => {
    for (const url of ['/v1/me/profile', '/v1/me/consents', '/v1/me/merchants', '/v1/me/data']) {
      for (const query of ['', `?userId=${BEN.externalId}`, `?user_id=${world.ben}`]) {
        const response = await get(ADA.externalId, `${url}${query}`);
        expect(response.statusCode).toBe(200);
        for (const needle of OTHERS) expect(response.body).not.toContain(needle);
      }
    }
    const profile = await get(ADA.externalId, `/v1/me/profile?userId=${BEN.externalId}`);
    expect(profile.json()).toMatchObject({ displayName: ADA.displayName });
    // No route takes a user id in the path.
    const byPath = await get(ADA.externalId, `/v1/me/${BEN.externalId}/data`);
    expect(byPath.statusCode).toBe(404);
  });

  it("cannot write to another user: a body naming them is refused, and Ben's rows stay", async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/v1/me/consents',
      headers: as(ADA.externalId),
      payload: { purpose: 'matching', policyVersion: 'v2', userId: BEN.externalId },
    });
    expect(response.statusCode).toBe(400);
    const bens = await t.db
      .selectFrom('consent_events')
      .select('id')
      .where('user_id', '=', world.ben)
      .execute();
    expect(bens).toHaveLength(2);
  });

  it('403 for an API key on every user data route', async () => {
    const { key } = await createApiKey(t.db, 'platform-bola');
    for (const [method, url] of [
      ['GET', '/v1/me/merchants'],
      ['GET', '/v1/me/data'],
      ['DELETE', '/v1/me'],
    ] as const) {
      const response = await t.app.inject({ method, url, headers: bearer(key) });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ error: { code: 'wrong_credential_type' } });
    }
    expect(await t.db.selectFrom('users').select('id').execute()).toHaveLength(3);
  });
});

describe('GET /v1/me/merchants', () => {
  it('lists my merchants in the window with visits and k-anonymity', async () => {
    // K_ANON is 20 here: with three users, nothing is revealable.
    const response = await get(ADA.externalId, '/v1/me/merchants');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      windowDays: 30,
      since: '2026-10-23',
      timezone: 'Asia/Shanghai',
      merchants: [
        {
          merchantId: 'mer-tea',
          name: 'Jade Leaf Tea House',
          category: 'tea',
          visits: 2,
          lastVisitAt: '2026-11-21T03:00:00.000Z',
          revealable: false,
          reason: 'too_few_customers',
        },
        {
          merchantId: 'mer-books',
          name: 'Riverbend Books',
          category: 'books',
          visits: 1,
          lastVisitAt: '2026-11-19T08:00:00.000Z',
          revealable: false,
          reason: 'too_few_customers',
        },
      ],
    });
  });
});

describe('GET /v1/me/merchants with a small k', () => {
  let k: TestApp;
  const user = async (
    externalId: string,
    transactions: [string, string][],
    consent: 'grant' | 'withdraw' | null,
  ) => {
    const [{ id = '' } = {}] = await k.db
      .insertInto('users')
      .values({ external_id: externalId })
      .returning('id')
      .execute();
    if (consent !== null) {
      await k.db
        .insertInto('consent_events')
        .values({
          user_id: id,
          purpose: 'transactions',
          action: 'grant',
          policy_version: 'v1',
          at: '2026-10-01',
        })
        .execute();
      if (consent === 'withdraw') {
        await k.db
          .insertInto('consent_events')
          .values({
            user_id: id,
            purpose: 'transactions',
            action: 'withdraw',
            policy_version: 'v1',
            at: '2026-10-02',
          })
          .execute();
      }
    }
    for (const [merchant, at] of transactions) {
      await sql`
        INSERT INTO transactions (user_id, client_id, transaction_id, merchant_id, amount_cents, currency, occurred_at)
        SELECT ${id}, (SELECT id FROM api_clients LIMIT 1), ${`${externalId}-${merchant}-${at}`}, m.id, 1000, 'CNY', ${at}
        FROM merchants m WHERE m.external_id = ${merchant}`.execute(k.db);
    }
    return id;
  };

  beforeAll(async () => {
    k = await createTestApp({ clock: fixedClock(NOW), config: { K_ANON: 3 } });
    await createApiKey(k.db, 'platform');
    await k.db
      .insertInto('merchants')
      .values(
        ['popular', 'few', 'old', 'edge', 'elsewhere'].map((name) => ({
          external_id: `m-${name}`,
          name: `Shop ${name}`,
          category: 'grocery',
        })),
      )
      .execute();
    const ada = await user(
      'k-ada',
      [
        ['m-popular', '2026-11-20T01:00:00Z'],
        ['m-popular', '2026-11-21T01:00:00Z'],
        ['m-few', '2026-11-15T01:00:00Z'],
        ['m-old', '2026-10-22T15:59:00Z'], // 23:59 on 22 October in Shanghai: before the window
        ['m-edge', '2026-10-22T16:00:00Z'], // 00:00 on 23 October in Shanghai: the first instant
      ],
      'grant',
    );
    await sql`
      INSERT INTO profiles (user_id, display_name, birth_year, gender, seeking, age_min, age_max, city, timezone, contact_handle, only_verified, allow_guess_game)
      VALUES (${ada}, 'Ada', 1990, 'woman', '{man}', 20, 50, 'Shanghai', 'Asia/Shanghai', '@ada', false, true)`.execute(
      k.db,
    );
    await user(
      'k-b',
      [
        ['m-popular', '2026-11-10T01:00:00Z'],
        ['m-few', '2026-11-10T01:00:00Z'],
        ['m-old', '2026-11-10T01:00:00Z'],
      ],
      'grant',
    );
    await user(
      'k-c',
      [
        ['m-popular', '2026-11-11T01:00:00Z'],
        ['m-old', '2026-11-11T01:00:00Z'],
      ],
      'grant',
    );
    // Bought at m-few but withdrew: not counted. Bought at m-few before the window: not counted.
    await user('k-d', [['m-few', '2026-11-12T01:00:00Z']], 'withdraw');
    await user(
      'k-e',
      [
        ['m-few', '2026-09-01T01:00:00Z'],
        ['m-elsewhere', '2026-11-12T01:00:00Z'],
      ],
      'grant',
    );
  });
  afterAll(async () => {
    await k.close();
  });

  it('marks a merchant revealable only with k distinct consenting buyers in the window', async () => {
    const response = await k.app.inject({
      method: 'GET',
      url: '/v1/me/merchants',
      headers: bearer(userToken('k-ada', 'user', { now: NOW })),
    });
    expect(response.statusCode).toBe(200);
    const merchants = response.json<{ merchants: Record<string, unknown>[] }>().merchants;
    expect(merchants.map((m) => [m['merchantId'], m['visits'], m['revealable'], m['reason']])).toEqual([
      ['m-popular', 2, true, undefined],
      ['m-few', 1, false, 'too_few_customers'],
      ['m-edge', 1, false, 'too_few_customers'],
    ]);
    expect(response.body).not.toContain('m-elsewhere');
    expect(response.body).not.toContain('m-old');
  });

  it("follows the active weight set's window", async () => {
    await sql`
      WITH created AS (
        INSERT INTO weight_sets (name, version, params, created_by)
        SELECT 'short', 2, params || '{"windowDays": 7}'::jsonb, 'test' FROM weight_sets WHERE version = 1
        RETURNING id)
      INSERT INTO weight_set_activations (weight_set_id, activated_by) SELECT id, 'test' FROM created`.execute(
      k.db,
    );
    const response = await k.app.inject({
      method: 'GET',
      url: '/v1/me/merchants',
      headers: bearer(userToken('k-ada', 'user', { now: NOW })),
    });
    expect(response.json()).toMatchObject({
      windowDays: 7,
      since: '2026-11-15',
      merchants: [
        { merchantId: 'm-popular', revealable: false },
        { merchantId: 'm-few', revealable: false },
      ],
    });
  });

  it('is empty for a user with no data, in the service time zone', async () => {
    const response = await k.app.inject({
      method: 'GET',
      url: '/v1/me/merchants',
      headers: bearer(userToken('k-nobody', 'user', { now: NOW })),
    });
    expect(response.json()).toEqual({
      windowDays: 7,
      since: '2026-11-15',
      timezone: 'Asia/Shanghai',
      merchants: [],
    });
  });
});
