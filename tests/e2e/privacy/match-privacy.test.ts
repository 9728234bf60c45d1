import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder, type Seeder } from '../match/fixtures.ts';

/**
 * Design section 6, rule 1, as a property: in small random populations (names, merchants with
 * unique names, transactions, reveals, guesses, decisions, a block), every user calls every
 * user-facing endpoint, and no response carries another user's external id, display name, birth
 * year, contact handle before a mutual like, a merchant name neither theirs nor revealed to them
 * nor confirmed in their game, an amount or a transaction time; no log line carries any of them.
 */

const now = new Date('2026-11-22T04:00:00Z');
const clock: Clock = { now: () => new Date(now) };
const TODAY = '2026-11-22';
const K = 2;
let t: TestApp;
let seed: Seeder;
let runId: string;
let round = 0;

beforeAll(async () => {
  t = await createTestApp({
    clock,
    config: {
      K_ANON: K,
      MATCH_RATE_LIMIT_MAX: 10_000,
      MATCH_ACTION_RATE_LIMIT_MAX: 10_000,
      RATE_LIMIT_MAX: 100_000,
    },
  });
  seed = seeder(t.db);
  runId = await seed.run(TODAY);
});
afterAll(async () => {
  await t.close();
});

const Population = fc.record({
  users: fc.array(
    fc.record({
      name: fc.stringMatching(/^[A-Z][a-z]{4,8}$/),
      birthYear: fc.integer({ min: 1950, max: 2004 }),
      allowGuessGame: fc.boolean(),
    }),
    { minLength: 4, maxLength: 8 },
  ),
  merchants: fc.array(fc.stringMatching(/^[A-Z][a-z]{3,7}$/), { minLength: 3, maxLength: 7 }),
  purchases: fc.array(
    fc.record({ u: fc.nat(), m: fc.nat(), day: fc.integer({ min: 1, max: 25 }), minute: fc.nat(1439) }),
    { minLength: 6, maxLength: 40 },
  ),
  order: fc.array(fc.nat(), { minLength: 8, maxLength: 8 }),
  reveals: fc.array(fc.record({ u: fc.nat(), ms: fc.array(fc.nat(), { maxLength: 4 }) }), { maxLength: 6 }),
  guesses: fc.array(fc.record({ u: fc.nat(), m: fc.nat() }), { maxLength: 12 }),
  decisions: fc.array(fc.record({ u: fc.nat(), like: fc.boolean() }), { maxLength: 10 }),
  blocks: fc.array(fc.nat(), { maxLength: 1 }),
});
type Population = typeof Population extends fc.Arbitrary<infer T> ? T : never;

type Seeded = {
  ext: string[];
  ids: string[];
  names: string[];
  handles: string[];
  birthYears: number[];
  merchantExt: string[];
  merchantIds: string[];
  merchantNames: string[];
  /** Per user: the merchants (indices) they bought from, their amounts and their times. */
  bought: Set<number>[];
  amounts: number[][];
  times: string[][];
  counterpart: (number | undefined)[];
};

async function seedPopulation(pop: Population): Promise<Seeded> {
  round += 1;
  const r = String(round);
  const n = pop.users.length;
  const s: Seeded = {
    ext: [],
    ids: [],
    names: [],
    handles: [],
    birthYears: [],
    merchantExt: [],
    merchantIds: [],
    merchantNames: [],
    bought: pop.users.map(() => new Set<number>()),
    amounts: pop.users.map(() => []),
    times: pop.users.map(() => []),
    counterpart: pop.users.map(() => undefined),
  };
  for (const [i, u] of pop.users.entries()) {
    const ext = `pv${r}-u${String(i).padStart(2, '0')}-ext`;
    const p = person(ext, {
      displayName: `${u.name} Qx${r}v${String(i)}`,
      birthYear: u.birthYear,
      contactHandle: `@hq${r}w${String(i)}z`,
      allowGuessGame: u.allowGuessGame,
    });
    s.ext.push(ext);
    s.ids.push(await seed.user(p));
    s.names.push(p.displayName);
    s.handles.push(p.contactHandle);
    s.birthYears.push(u.birthYear);
  }
  for (const [j, word] of pop.merchants.entries()) {
    const ext = `pm${r}-${String(j).padStart(2, '0')}`;
    const name = `${word} Mq${r}k${String(j)}`;
    s.merchantExt.push(ext);
    s.merchantNames.push(name);
    s.merchantIds.push(await seed.merchant(ext, name, 'coffee'));
  }
  for (const [k, p] of pop.purchases.entries()) {
    const u = p.u % n;
    const m = p.m % pop.merchants.length;
    // Unique amounts and instants (milliseconds = purchase index) make every one recognisable.
    const amount = 7_100_000 + round * 1000 + k;
    const at = new Date(Date.UTC(2026, 10, 22 - p.day, 0, p.minute, 17, k % 1000)).toISOString();
    await seed.purchase(s.ids[u] ?? '', s.merchantIds[m] ?? '', at, amount);
    s.bought[u]?.add(m);
    s.amounts[u]?.push(amount);
    s.times[u]?.push(at);
  }
  // Pairs from a shuffled order; an odd one out stays unpaired.
  const order = [...Array(n).keys()].sort((a, b) => (pop.order[a] ?? 0) - (pop.order[b] ?? 0) || a - b);
  for (let i = 0; i + 1 < order.length; i += 2) {
    const a = order[i] ?? 0;
    const b = order[i + 1] ?? 0;
    await seed.pair(runId, TODAY, s.ids[a] ?? '', s.ids[b] ?? '');
    s.counterpart[a] = b;
    s.counterpart[b] = a;
  }
  return s;
}

type Captured = { viewer: number; where: string; body: string };

async function play(pop: Population, s: Seeded): Promise<Captured[]> {
  const n = s.ext.length;
  const captured: Captured[] = [];
  const call = async (viewer: number, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
    const response = await t.app.inject({
      method,
      url,
      headers: bearer(userToken(s.ext[viewer] ?? '', 'user', { now })),
      ...(payload === undefined ? {} : { payload }),
    });
    expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(500);
    captured.push({ viewer, where: `${method} ${url}`, body: response.body });
  };
  for (const { u, ms } of pop.reveals) {
    await call(u % n, 'PUT', '/v1/me/reveals', {
      merchantIds: ms.map((m) => s.merchantExt[m % s.merchantExt.length] ?? ''),
    });
  }
  for (const { u, m } of pop.guesses) {
    await call(u % n, 'POST', '/v1/me/match/guesses', {
      merchantId: s.merchantExt[m % s.merchantExt.length] ?? '',
    });
  }
  for (const { u, like } of pop.decisions) {
    await call(u % n, 'POST', '/v1/me/match/decision', { decision: like ? 'like' : 'pass' });
  }
  for (const u of pop.blocks) await call(u % n, 'POST', '/v1/me/match/block');
  for (let v = 0; v < n; v += 1) {
    for (const url of [
      '/v1/me/match',
      '/v1/me/connections',
      '/v1/me/reveals',
      '/v1/me/merchants',
      '/v1/me/profile',
      '/v1/me/consents',
      '/v1/me/data',
    ]) {
      await call(v, 'GET', url);
    }
  }
  return captured;
}

/** What a viewer may legitimately see, from the database after the play. */
async function allowances(s: Seeded) {
  const rows = await t.db
    .selectFrom('matches as m')
    .leftJoin('decisions as dm', (j) =>
      j.onRef('dm.match_id', '=', 'm.match_id').onRef('dm.user_id', '=', 'm.user_id'),
    )
    .leftJoin('decisions as dt', (j) =>
      j.onRef('dt.match_id', '=', 'm.match_id').onRef('dt.user_id', '=', 'm.counterpart_id'),
    )
    .select(['m.user_id', 'm.counterpart_id', 'm.match_id', 'dm.decision as mine', 'dt.decision as theirs'])
    .where('m.user_id', 'in', s.ids)
    .execute();
  const blocks = await t.db.selectFrom('blocks').select(['blocker_id', 'blocked_id']).execute();
  const blocked = (a: string, b: string) =>
    blocks.some(
      (x) => (x.blocker_id === a && x.blocked_id === b) || (x.blocker_id === b && x.blocked_id === a),
    );
  const reveals = await t.db.selectFrom('reveals').select(['user_id', 'merchant_id']).execute();
  const confirmed = await t.db
    .selectFrom('guesses')
    .select(['match_id', 'merchant_id'])
    .where('correct', '=', true)
    .execute();
  const index = (id: string) => s.ids.indexOf(id);
  const merchantIndex = (id: string) => s.merchantIds.indexOf(id);
  return s.ids.map((id, v) => {
    const names = new Set<number>(s.bought[v]);
    const connected = new Set<number>();
    for (const row of rows.filter((x) => x.user_id === id)) {
      const o = index(row.counterpart_id);
      for (const r of reveals.filter((x) => x.user_id === row.counterpart_id))
        names.add(merchantIndex(r.merchant_id));
      for (const g of confirmed.filter((x) => x.match_id === row.match_id))
        names.add(merchantIndex(g.merchant_id));
      if (row.mine === 'like' && row.theirs === 'like' && !blocked(id, row.counterpart_id)) connected.add(o);
    }
    return { names, connected };
  });
}

const numberToken = (value: number) => new RegExp(`(?<![0-9])${String(value)}(?![0-9])`);
const yearToken = (value: number) => new RegExp(`[:\\[,]${String(value)}[,\\]}]`);

function violations(
  s: Seeded,
  allowed: Awaited<ReturnType<typeof allowances>>,
  captured: Captured[],
  logs: string[],
) {
  const found: string[] = [];
  for (const { viewer, where, body } of captured) {
    const ok = allowed[viewer];
    if (ok === undefined) continue;
    for (let o = 0; o < s.ext.length; o += 1) {
      if (o === viewer) continue;
      const check = (what: string, hit: boolean) => {
        if (hit) found.push(`user ${String(viewer)} saw ${what} of user ${String(o)} in ${where}`);
      };
      check('the external id', body.includes(`"${s.ext[o] ?? ''}"`) || body.includes(s.ext[o] ?? ''));
      check('the display name', body.includes(s.names[o] ?? ''));
      // A year the viewer shares is theirs to see in their own profile.
      check(
        'the birth year',
        s.birthYears[o] !== s.birthYears[viewer] && yearToken(s.birthYears[o] ?? 0).test(body),
      );
      check('the contact handle', !ok.connected.has(o) && body.includes(s.handles[o] ?? ''));
      for (const amount of s.amounts[o] ?? []) check('an amount', numberToken(amount).test(body));
      for (const at of s.times[o] ?? []) check('a transaction time', body.includes(at));
    }
    for (const [m, name] of s.merchantNames.entries()) {
      if (!ok.names.has(m) && body.includes(name))
        found.push(`user ${String(viewer)} saw merchant ${name} in ${where}`);
    }
  }
  const log = logs.join('\n');
  const everything = [...s.ext, ...s.names, ...s.handles, ...s.merchantNames, ...s.times.flat()];
  for (const secret of everything) if (log.includes(secret)) found.push(`a log line holds ${secret}`);
  for (const amount of s.amounts.flat())
    if (numberToken(amount).test(log)) found.push(`a log line holds ${String(amount)}`);
  return found;
}

describe('privacy of the daily match (design section 6.1)', () => {
  it('no response or log line carries what another user may not see', async () => {
    const shown = { cards: 0, revealed: 0, confirmed: 0, handles: 0 };
    await fc.assert(
      fc.asyncProperty(Population, async (pop) => {
        const s = await seedPopulation(pop);
        const logsBefore = t.logs.length;
        const captured = await play(pop, s);
        const allowed = await allowances(s);
        expect(violations(s, allowed, captured, t.logs.slice(logsBefore))).toEqual([]);
        for (const c of captured) {
          if (c.where === 'GET /v1/me/match' && c.body.includes('"matchId"')) {
            const card = JSON.parse(c.body) as {
              revealedMerchants: unknown[];
              guessGame: { confirmed: unknown[] };
            };
            shown.cards += 1;
            shown.revealed += card.revealedMerchants.length;
            shown.confirmed += card.guessGame.confirmed.length;
          }
          if (c.where === 'GET /v1/me/connections' && c.body.includes('contactHandle')) shown.handles += 1;
        }
      }),
      { numRuns: 6, seed: 20261122, endOnFailure: true },
    );
    // Not vacuous: cards were served with reveals and confirmed guesses, and handles were exchanged.
    expect(shown.cards).toBeGreaterThan(0);
    expect(shown.revealed).toBeGreaterThan(0);
    expect(shown.confirmed).toBeGreaterThan(0);
    expect(shown.handles).toBeGreaterThan(0);
  });

  it('the scan catches a leak (the oracle is not blind)', async () => {
    const pop = fc.sample(Population, { numRuns: 1, seed: 7 })[0];
    if (pop === undefined) throw new Error('no sample');
    const s = await seedPopulation(pop);
    const allowed = await allowances(s);
    const other = s.counterpart.findIndex((c) => c !== undefined);
    const viewer = s.counterpart[other] ?? 0;
    const leaks: Captured[] = [
      { viewer, where: 'forged', body: JSON.stringify({ name: s.names[other] }) },
      { viewer, where: 'forged', body: JSON.stringify({ handle: s.handles[other] }) },
      { viewer, where: 'forged', body: JSON.stringify({ born: s.birthYears[other] }) },
    ];
    const unseen = s.merchantNames.findIndex((_, m) => allowed[viewer]?.names.has(m) !== true);
    if (unseen >= 0)
      leaks.push({ viewer, where: 'forged', body: JSON.stringify({ m: s.merchantNames[unseen] }) });
    expect(violations(s, allowed, leaks, [`{"msg":"${s.ext[other] ?? ''}"}`])).toHaveLength(leaks.length + 1);
  });
});
