import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { MatchCardSchema } from '../../../src/core/masking/index.ts';
import { ErrorBody } from '../../../src/plugins/errors.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder } from './fixtures.ts';

const now = new Date('2026-11-22T04:00:00Z');
const clock: Clock = { now: () => new Date(now) };
const TODAY = '2026-11-22';
const RECENT = '2026-11-20T03:00:00Z';
const K = 3;
let t: TestApp;

const as = (sub: string) => bearer(userToken(sub, 'user', { now }));
const card = async (sub: string) =>
  MatchCardSchema.parse(
    (await t.app.inject({ method: 'GET', url: '/v1/me/match', headers: as(sub) })).json(),
  );
const guess = (sub: string, merchantId: string) =>
  t.app.inject({ method: 'POST', url: '/v1/me/match/guesses', headers: as(sub), payload: { merchantId } });
const putReveals = (sub: string, merchantIds: string[]) =>
  t.app.inject({ method: 'PUT', url: '/v1/me/reveals', headers: as(sub), payload: { merchantIds } });
const codeOf = (response: { json: () => unknown }) => ErrorBody.parse(response.json()).error.code;

beforeAll(async () => {
  t = await createTestApp({ clock, config: { K_ANON: K } });
  const seed = seeder(t.db);
  const run = await seed.run(TODAY);
  const ann = await seed.user(person('gr-ann'));
  const bob = await seed.user(person('gr-bob'));
  const cat = await seed.user(person('gr-cat'));
  const dan = await seed.user(person('gr-dan', { allowGuessGame: false }));
  await seed.pair(run, TODAY, ann, bob);
  await seed.pair(run, TODAY, cat, dan);

  // Popular merchants (K consenting customers besides the pair) and one rare merchant.
  const shared = await seed.merchant('m-shared', 'Lantern Coffee Roasters', 'coffee');
  const annOnly1 = await seed.merchant('m-ann-1', 'Willow Bakery', 'bakery');
  const annOnly2 = await seed.merchant('m-ann-2', 'Harbour Books', 'books');
  const annOnly3 = await seed.merchant('m-ann-3', 'Summit Gym', 'fitness');
  const annOnly4 = await seed.merchant('m-ann-4', 'Blue Door Tea', 'tea');
  const annOnly5 = await seed.merchant('m-ann-5', 'Corner Deli', 'grocery');
  const annOnly6 = await seed.merchant('m-ann-6', 'Night Owl Bar', 'bar');
  const bobOnly = await seed.merchant('m-bob', 'Velvet Cinema', 'entertainment');
  const rare = await seed.merchant('m-rare', 'Tiny Secret Atelier', 'fashion');
  const old = await seed.merchant('m-old', 'Faded Diner', 'restaurant');
  for (const m of [shared, annOnly1, annOnly2, annOnly3, annOnly4, annOnly5, annOnly6, bobOnly, old]) {
    await seed.crowd(m, K, RECENT);
  }
  for (const m of [shared, annOnly1, annOnly2, annOnly3, annOnly4, annOnly5, annOnly6, rare]) {
    await seed.purchase(ann, m, RECENT);
  }
  await seed.purchase(ann, old, '2026-09-01T03:00:00Z'); // outside the 30-day window
  await seed.purchase(bob, shared, '2026-11-19T10:00:00Z');
  await seed.purchase(bob, bobOnly, RECENT);
  await seed.purchase(bob, rare, RECENT);
  await seed.purchase(cat, shared, RECENT);
});
afterAll(async () => {
  await t.close();
});

describe('POST /v1/me/match/guesses', () => {
  it('refuses, without using a guess, merchants that are unknown, not mine, out of the window or rare', async () => {
    const cases: [string, number, string][] = [
      ['m-nope', 422, 'unknown_merchant'],
      ['m-bob', 422, 'not_purchased'],
      ['m-old', 422, 'not_purchased'],
      // Bob did buy at the rare merchant: the answer would be "correct", yet it is never played.
      ['m-rare', 422, 'not_k_anonymous'],
    ];
    for (const [merchantId, status, code] of cases) {
      const response = await guess('gr-ann', merchantId);
      expect(response.statusCode, merchantId).toBe(status);
      expect(codeOf(response)).toBe(code);
    }
    expect((await card('gr-ann')).guessGame.guessesLeft).toBe(3);
  });

  it('answers correct and shows a correct guess on both cards; 3 guesses per match', async () => {
    const hit = await guess('gr-ann', 'm-shared');
    expect(hit.statusCode).toBe(200);
    expect(hit.json()).toEqual({ correct: true, guessesLeft: 2 });
    const confirmed = [{ name: 'Lantern Coffee Roasters', category: 'coffee' }];
    expect((await card('gr-ann')).guessGame).toEqual({ enabled: true, guessesLeft: 2, confirmed });
    expect((await card('gr-bob')).guessGame).toEqual({ enabled: true, guessesLeft: 3, confirmed });

    const again = await guess('gr-ann', 'm-shared');
    expect(again.statusCode).toBe(409);
    expect(codeOf(again)).toBe('already_guessed');

    expect((await guess('gr-ann', 'm-ann-1')).json()).toEqual({ correct: false, guessesLeft: 1 });
    expect((await guess('gr-ann', 'm-ann-2')).json()).toEqual({ correct: false, guessesLeft: 0 });
    const over = await guess('gr-ann', 'm-ann-3');
    expect(over.statusCode).toBe(409);
    expect(codeOf(over)).toBe('no_guesses_left');
    // A wrong guess names nothing on the other card.
    expect((await card('gr-bob')).guessGame.confirmed).toEqual(confirmed);
  });

  it('is closed when the counterpart does not play: 409 guess_game_disabled, the card says so', async () => {
    expect((await card('gr-cat')).guessGame).toEqual({ enabled: false, guessesLeft: 0, confirmed: [] });
    const response = await guess('gr-cat', 'm-shared');
    expect(response.statusCode).toBe(409);
    expect(codeOf(response)).toBe('guess_game_disabled');
    // Dan may guess: Cat plays.
    expect((await card('gr-dan')).guessGame.enabled).toBe(true);
  });

  it('concurrent guesses of one merchant count once', async () => {
    const responses = await Promise.all(
      ['m-shared', 'm-bob', 'm-shared', 'm-bob'].map((m) => guess('gr-bob', m)),
    );
    const ok = responses.filter((r) => r.statusCode === 200);
    expect(ok.length).toBe(2);
    const rows = await t.db
      .selectFrom('guesses')
      .select('id')
      .where('user_id', 'in', t.db.selectFrom('users').select('id').where('external_id', '=', 'gr-bob'))
      .execute();
    expect(rows.length).toBe(2);
  });
});

describe('reveals', () => {
  it('keeps at most 5, refuses the others with a reason each, and lists them', async () => {
    const response = await putReveals('gr-ann', [
      'm-ann-1',
      'm-nope',
      'm-bob',
      'm-rare',
      'm-ann-1',
      'm-ann-2',
      'm-old',
      'm-ann-3',
      'm-ann-4',
      'm-ann-5',
      'm-ann-6',
    ]);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ reveals: { merchantId: string; visible: boolean }[]; refused: unknown[] }>();
    expect(body.reveals.map((r) => r.merchantId)).toEqual([
      'm-ann-1',
      'm-ann-2',
      'm-ann-3',
      'm-ann-4',
      'm-ann-5',
    ]);
    expect(body.reveals.every((r) => r.visible)).toBe(true);
    expect(body.refused).toEqual([
      { merchantId: 'm-nope', reason: 'unknown_merchant' },
      { merchantId: 'm-bob', reason: 'not_purchased' },
      { merchantId: 'm-rare', reason: 'not_k_anonymous' },
      { merchantId: 'm-old', reason: 'not_purchased' },
      { merchantId: 'm-ann-6', reason: 'too_many' },
    ]);
    const listed = await t.app.inject({ method: 'GET', url: '/v1/me/reveals', headers: as('gr-ann') });
    expect(listed.json<{ max: number; reveals: unknown[] }>()).toMatchObject({ max: 5 });
    expect(listed.json<{ reveals: { merchantId: string }[] }>().reveals.map((r) => r.merchantId)).toEqual(
      body.reveals.map((r) => r.merchantId),
    );
    // Audited with counts only.
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'reveals.set')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toEqual({ revealed: 5, refused: 5 });
    expect(JSON.stringify(audit)).not.toContain('Willow');
  });

  it("shows the counterpart's reveals on my card by name and category, in order", async () => {
    expect((await card('gr-bob')).revealedMerchants).toEqual([
      { name: 'Willow Bakery', category: 'bakery' },
      { name: 'Harbour Books', category: 'books' },
      { name: 'Summit Gym', category: 'fitness' },
      { name: 'Blue Door Tea', category: 'tea' },
      { name: 'Corner Deli', category: 'grocery' },
    ]);
    expect((await card('gr-ann')).revealedMerchants).toEqual([]);
  });

  it('hides a reveal whose merchant lost its crowd (k-anonymity checked when shown, too)', async () => {
    const bakery = await t.db
      .selectFrom('merchants')
      .select('id')
      .where('external_id', '=', 'm-ann-1')
      .executeTakeFirstOrThrow();
    const crowd = await t.db
      .selectFrom('transactions')
      .innerJoin('users', 'users.id', 'transactions.user_id')
      .select(['users.external_id'])
      .where('transactions.merchant_id', '=', bakery.id)
      .where('users.external_id', 'like', 'crowd-%')
      .execute();
    // Ann and 3 others bought there; two leave: 2 consenting customers < K = 3.
    for (const leaver of crowd.slice(0, 2)) {
      const withdrawn = await t.app.inject({
        method: 'DELETE',
        url: '/v1/me/consents/transactions',
        headers: as(leaver.external_id),
      });
      expect(withdrawn.statusCode).toBe(200);
    }
    const listed = await t.app.inject({ method: 'GET', url: '/v1/me/reveals', headers: as('gr-ann') });
    const reveals = listed.json<{ reveals: { merchantId: string; visible: boolean }[] }>().reveals;
    expect(reveals.find((r) => r.merchantId === 'm-ann-1')?.visible).toBe(false);
    const shown = (await card('gr-bob')).revealedMerchants.map((m) => m.name);
    expect(shown).not.toContain('Willow Bakery');
    expect(shown).toHaveLength(4);
  });

  it('an empty list clears my reveals', async () => {
    const response = await putReveals('gr-ann', []);
    expect(response.json()).toMatchObject({ reveals: [], refused: [] });
    expect((await card('gr-bob')).revealedMerchants).toEqual([]);
  });
});
