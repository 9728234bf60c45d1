import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DECISION_STATES,
  MatchCardSchema,
  maskCard,
  type MaskCardInput,
} from '../../../src/core/masking/index.ts';
import { MERCHANT_CATEGORIES } from '../../../src/core/scoring/weight-set.ts';

/** Every field a card may carry. Adding one to MatchCardSchema must update this list. */
const CARD_FIELDS = [
  'ageBand',
  'alias',
  'city',
  'decision',
  'expiresAt',
  'gender',
  'guessGame',
  'matchDate',
  'matchId',
  'reasons',
  'revealedMerchants',
  'score',
  'verified',
];
const REASON_FIELDS = ['crossedPaths', 'sharedMerchantCount', 'topSharedCategories'];
const GUESS_GAME_FIELDS = ['confirmed', 'enabled', 'guessesLeft'];
const MERCHANT_FIELDS = ['category', 'name'];

const base: MaskCardInput = {
  match: {
    matchId: '6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f',
    matchDate: '2026-11-22',
    expiresAt: new Date('2026-11-22T15:59:59.999Z'),
    score: 0.873,
    scoreScale: 'fraction',
    sharedMerchantCount: 4,
    topSharedCategories: [
      { category: 'coffee', weight: 2.5 },
      { category: 'books', weight: 1 },
    ],
    crossedPaths: true,
  },
  viewerSide: 'a',
  counterpart: { birthYear: 1998, gender: 'nonbinary', city: 'Hangzhou', verified: true },
  reveals: [{ name: 'Blue Bottle', category: 'coffee' }],
  guessGame: { enabled: true, guessesLeft: 2, confirmed: [{ name: 'Page One', category: 'books' }] },
  decision: 'pending',
};

describe('maskCard', () => {
  it('builds exactly the card of design section 5', () => {
    expect(maskCard(base)).toEqual({
      matchId: '6f1c2d9e-3b4a-4c5d-8e7f-0a1b2c3d4e5f',
      matchDate: '2026-11-22',
      expiresAt: '2026-11-22T15:59:59.999Z',
      alias: 'Dusk Squirrel',
      ageBand: '25-29',
      gender: 'nonbinary',
      city: 'Hangzhou',
      verified: true,
      score: 87,
      reasons: { sharedMerchantCount: '3-4', topSharedCategories: ['coffee', 'books'], crossedPaths: true },
      revealedMerchants: [{ name: 'Blue Bottle', category: 'coffee' }],
      guessGame: { enabled: true, guessesLeft: 2, confirmed: [{ name: 'Page One', category: 'books' }] },
      decision: 'pending',
    });
  });

  it('caps reveals at 5 and confirmed at 6, dropping repeats, and zeroes guesses when the game is off', () => {
    const merchant = (i: number) => ({ name: `Shop ${String(i)}`, category: 'grocery' as const });
    const card = maskCard({
      ...base,
      reveals: [merchant(1), merchant(1), ...[2, 3, 4, 5, 6, 7].map(merchant)],
      guessGame: { enabled: false, guessesLeft: 3, confirmed: [1, 2, 3, 3, 4, 5, 6, 7, 8].map(merchant) },
    });
    expect(card.revealedMerchants.map((m) => m.name)).toEqual([
      'Shop 1',
      'Shop 2',
      'Shop 3',
      'Shop 4',
      'Shop 5',
    ]);
    expect(card.guessGame).toEqual({
      enabled: false,
      guessesLeft: 0,
      confirmed: [1, 2, 3, 4, 5, 6].map(merchant),
    });
  });

  it('takes a percentage score and gives side b another alias', () => {
    const card = maskCard({
      ...base,
      viewerSide: 'b',
      match: { ...base.match, score: 42.4, scoreScale: 'percent' },
    });
    expect(card.score).toBe(42);
    expect(card.alias).not.toBe(maskCard(base).alias);
  });

  it('refuses invalid input', () => {
    expect(() => maskCard({ ...base, match: { ...base.match, matchId: 'user-17' } })).toThrow();
    expect(() => maskCard({ ...base, match: { ...base.match, matchDate: '2026-13-01' } })).toThrow();
    expect(() => maskCard({ ...base, match: { ...base.match, sharedMerchantCount: 0 } })).toThrow();
    expect(() => maskCard({ ...base, match: { ...base.match, expiresAt: new Date(Number.NaN) } })).toThrow();
    expect(() => maskCard({ ...base, guessGame: { ...base.guessGame, guessesLeft: 4 } })).toThrow();
    expect(() => maskCard({ ...base, counterpart: { ...base.counterpart, birthYear: 2030 } })).toThrow(
      RangeError,
    );
    expect(() => maskCard({ ...base, reveals: [{ name: 'X', category: 'weapons' as never }] })).toThrow();
  });
});

describe('MatchCardSchema', () => {
  it('declares exactly the whitelisted fields at every level', () => {
    const { shape } = MatchCardSchema;
    expect(Object.keys(shape).sort()).toEqual(CARD_FIELDS);
    expect(Object.keys(shape.reasons.shape).sort()).toEqual(REASON_FIELDS);
    expect(Object.keys(shape.guessGame.shape).sort()).toEqual(GUESS_GAME_FIELDS);
    expect(Object.keys(shape.revealedMerchants.element.shape).sort()).toEqual(MERCHANT_FIELDS);
    expect(Object.keys(shape.guessGame.shape.confirmed.element.shape).sort()).toEqual(MERCHANT_FIELDS);
    expect(Object.keys(maskCard(base)).sort()).toEqual(CARD_FIELDS);
  });

  it('is strict: an undeclared field anywhere is refused, not passed through', () => {
    const card = maskCard(base);
    expect(MatchCardSchema.safeParse(card).success).toBe(true);
    expect(MatchCardSchema.safeParse({ ...card, displayName: 'Li Wei' }).success).toBe(false);
    expect(MatchCardSchema.safeParse({ ...card, reasons: { ...card.reasons, exactCount: 4 } }).success).toBe(
      false,
    );
    expect(
      MatchCardSchema.safeParse({
        ...card,
        revealedMerchants: [{ name: 'A', category: 'bar', merchantId: 'm1' }],
      }).success,
    ).toBe(false);
    expect(MatchCardSchema.safeParse({ ...card, score: 87.5 }).success).toBe(false);
  });
});

const SECRET = 'zqxsecret';
const merchantArb = (prefix: string) =>
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 8 }).map((s) => `${prefix}${s}`),
    category: fc.constantFrom(...MERCHANT_CATEGORIES),
  });

/** Inputs carrying, beside the card's inputs, fields that must never reach a card. */
const inputArb = fc.record({
  match: fc.record({
    matchId: fc.uuid(),
    matchDate: fc.constantFrom('2026-11-22', '2027-01-01', '2028-02-29'),
    expiresAt: fc.date({ min: new Date('2026-01-01'), max: new Date('2029-01-01'), noInvalidDate: true }),
    score: fc.double({ min: 0, max: 1, noNaN: true }),
    scoreScale: fc.constant('fraction' as const),
    sharedMerchantCount: fc.integer({ min: 1, max: 60 }),
    topSharedCategories: fc.array(
      fc.record({
        category: fc.constantFrom(...MERCHANT_CATEGORIES),
        weight: fc.double({ min: -1, max: 10, noNaN: true }),
      }),
      { maxLength: 8 },
    ),
    crossedPaths: fc.boolean(),
    counterpartUserId: fc.integer({ min: 1, max: 1e9 }).map((n) => `${SECRET}-user-${String(n)}`),
  }),
  viewerSide: fc.constantFrom('a' as const, 'b' as const),
  counterpart: fc.record({
    birthYear: fc.integer({ min: 1930, max: 2008 }),
    gender: fc.constantFrom('woman' as const, 'man' as const, 'nonbinary' as const),
    city: fc.constantFrom('Hangzhou', 'Suzhou'),
    verified: fc.boolean(),
    displayName: fc.string({ minLength: 1, maxLength: 10 }).map((s) => `${SECRET}-name-${s}`),
    contactHandle: fc.constant(`${SECRET}-handle`),
    trusted: fc.boolean(),
    seeking: fc.constant(['woman']),
    allMerchants: fc.array(merchantArb(`${SECRET}-hidden-`), { maxLength: 5 }),
  }),
  reveals: fc.array(merchantArb('revealed-'), { maxLength: 8 }),
  guessGame: fc.record({
    enabled: fc.boolean(),
    guessesLeft: fc.integer({ min: 0, max: 3 }),
    confirmed: fc.array(merchantArb('confirmed-'), { maxLength: 8 }),
  }),
  decision: fc.constantFrom(...DECISION_STATES),
});

describe('maskCard properties', () => {
  it('never carries an id, a display name, a handle, a hidden merchant or anything undeclared', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const card = maskCard(input);
        const json = JSON.stringify(card);
        expect(json).not.toContain(SECRET);
        expect(json).not.toMatch(/trusted|seeking|birth|displayName|handle/i);
        expect(MatchCardSchema.safeParse(card).success).toBe(true);
      }),
    );
  });

  it('names only merchants among the revealed and confirmed inputs', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const card = maskCard(input);
        const allowed = new Set(
          [...input.reveals, ...input.guessGame.confirmed].map((m) => `${m.name}|${m.category}`),
        );
        for (const m of [...card.revealedMerchants, ...card.guessGame.confirmed]) {
          expect(allowed.has(`${m.name}|${m.category}`)).toBe(true);
        }
        expect(card.revealedMerchants.every((m) => m.name.startsWith('revealed-'))).toBe(true);
        expect(card.guessGame.confirmed.every((m) => m.name.startsWith('confirmed-'))).toBe(true);
      }),
    );
  });

  it('depends on the birth year only through the band, and on the count only through the bucket', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 4 }), (input, shift) => {
        const card = maskCard(input);
        const year = Number(input.match.matchDate.slice(0, 4));
        const age = year - input.counterpart.birthYear;
        const sameBandYear = year - (Math.floor(age / 5) * 5 + shift);
        const count = input.match.sharedMerchantCount;
        const sameBucketCount = count <= 2 ? 1 + (shift % 2) : count <= 4 ? 3 + (shift % 2) : 5 + shift * 7;
        const other = maskCard({
          ...input,
          match: { ...input.match, sharedMerchantCount: sameBucketCount },
          counterpart: { ...input.counterpart, birthYear: sameBandYear },
        });
        expect(other).toEqual(card);
        // The match id (random hex) and the instant may hold any four digits by chance.
        const { matchId: _id, expiresAt: _at, ...rest } = card;
        expect(JSON.stringify(rest)).not.toContain(String(input.counterpart.birthYear));
      }),
    );
  });

  it('gives the same card for the same input, and ignores changes to dropped fields', () => {
    fc.assert(
      fc.property(inputArb, fc.string(), (input, name) => {
        const card = maskCard(input);
        expect(maskCard(input)).toEqual(card);
        expect(maskCard(structuredClone(input))).toEqual(card);
        const renamed = { ...input, counterpart: { ...input.counterpart, displayName: name } };
        expect(maskCard(renamed)).toEqual(card);
      }),
    );
  });

  it('keeps the alias fixed per (match, viewer) whatever else changes', () => {
    fc.assert(
      fc.property(inputArb, inputArb, (first, second) => {
        const sameMatch = {
          ...second,
          viewerSide: first.viewerSide,
          match: { ...second.match, matchId: first.match.matchId },
        };
        expect(maskCard(sameMatch).alias).toBe(maskCard(first).alias);
        const otherSide = {
          ...first,
          viewerSide: first.viewerSide === 'a' ? ('b' as const) : ('a' as const),
        };
        expect(maskCard(otherSide).alias).not.toBe(maskCard(first).alias);
      }),
    );
  });
});
