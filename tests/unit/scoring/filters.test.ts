import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FULL_PRUNING,
  generateCandidates,
  useSymmetric,
  type CandidateOptions,
  type CandidatePools,
  type PruningOptions,
} from '../../../src/core/scoring/candidates.ts';
import {
  closeExclusions,
  packFilterWords,
  type Exclusions,
  type Ranges,
} from '../../../src/core/scoring/filters.ts';
import type { PostingOrder } from '../../../src/core/scoring/matrix.ts';
import { WeightSetSchema, type WeightSet } from '../../../src/core/scoring/weight-set.ts';
import { computeCandidates } from '../../../src/scoring/parallel.ts';
import { divisorOf, expectPoolsMatch, matrixOf } from './helpers.ts';
import { naiveTopK, type NaiveFilters, type NaiveInput, type NaiveRow } from './naive-reference.ts';

/** CSR of per-user lists. */
function csr(lists: number[][]): Exclusions {
  const offsets = new Int32Array(lists.length + 1);
  lists.forEach((l, u) => (offsets[u + 1] = offsets[u]! + l.length));
  return { offsets, ids: Int32Array.from(lists.flat()) };
}

function coreRanges(r: NonNullable<NaiveFilters['ranges']>): Ranges {
  return { value: Int16Array.from(r.value), min: Int16Array.from(r.min), max: Int16Array.from(r.max) };
}

function coreFilters(f: NaiveFilters): Pick<CandidateOptions, 'exclude' | 'ranges'> {
  return {
    ...(f.exclude && { exclude: csr(f.exclude) }),
    ...(f.ranges && { ranges: coreRanges(f.ranges) }),
  };
}

const inputArb = fc
  .record({ userCount: fc.integer({ min: 1, max: 14 }), merchantCount: fc.integer({ min: 1, max: 7 }) })
  .chain(({ userCount, merchantCount }) =>
    fc.record({
      userCount: fc.constant(userCount),
      merchantCount: fc.constant(merchantCount),
      rows: fc.array(
        fc.record({
          user: fc.integer({ min: 0, max: userCount - 1 }),
          merchant: fc.integer({ min: 0, max: merchantCount - 1 }),
          visits: fc.integer({ min: 1, max: 5 }),
          lastVisitDay: fc.constant(29),
        }),
        { maxLength: 60 },
      ),
    }),
  );

/** Exclusions (one direction, self entries, duplicates, sometimes a user excluding everyone). */
function filtersArb(userCount: number): fc.Arbitrary<NaiveFilters> {
  const ids = fc.array(fc.integer({ min: 0, max: userCount - 1 }), { maxLength: 4 });
  const exclude = fc
    .tuple(
      fc.array(ids, { minLength: userCount, maxLength: userCount }),
      fc.integer({ min: -3, max: userCount }),
    )
    .map(([lists, everyone]) => {
      if (everyone >= 0 && everyone < userCount)
        lists[everyone] = Array.from({ length: userCount }, (_, v) => v);
      return lists;
    });
  const age = fc.integer({ min: 18, max: 24 });
  const ranges = fc
    .array(fc.tuple(age, age, age), { minLength: userCount, maxLength: userCount })
    .map((t) => ({ value: t.map((x) => x[0]), min: t.map((x) => x[1]), max: t.map((x) => x[2]) }));
  return fc.record(
    { exclude: fc.option(exclude, { nil: undefined }), ranges: fc.option(ranges, { nil: undefined }) },
    { requiredKeys: [] },
  ) as fc.Arbitrary<NaiveFilters>;
}

const caseArb = inputArb.chain((input) =>
  fc.record({
    input: fc.constant(input as NaiveInput),
    filters: filtersArb(input.userCount),
    normalization: fc.constantFrom('cosine', 'sqrt', 'none'),
    k: fc.integer({ min: 1, max: 8 }),
    minShared: fc.constantFrom(1, 1, 2),
    pick: fc.integer({ min: 0, max: 1000 }),
  }),
);

const PRUNINGS: (PruningOptions | undefined)[] = [
  undefined,
  { ...FULL_PRUNING, refresh: 'always' },
  { ...FULL_PRUNING, cut: false },
  { ...FULL_PRUNING, earlyVerify: false, listMax: false },
];

function weights(normalization: string): WeightSet {
  return WeightSetSchema.parse({ maxMerchantShare: 1, normalization, minSharedMerchants: 1 });
}

function shardOf(n: number, pick: number): Int32Array {
  return Int32Array.from(Array.from({ length: n }, (_, i) => i).filter((u) => (u * 31 + pick) % 3 !== 0));
}

/** Checks pools against the naive reference; `divisor` from a full run of the same filters. */
function check(
  pools: CandidatePools,
  input: NaiveInput,
  w: WeightSet,
  k: number,
  minShared: number,
  f: NaiveFilters,
  divisor: number,
) {
  expectPoolsMatch(pools, naiveTopK(input, w, k, minShared, undefined, f), divisor);
}

describe('packFilterWords', () => {
  it('packs value, min, max and group in one word, or declines what does not fit', () => {
    const ranges = { value: Int16Array.of(18, 255), min: Int16Array.of(0, 30), max: Int16Array.of(99, 40) };
    const words = packFilterWords(ranges, Int32Array.of(3, 200), 201)!;
    expect(Array.from(words, (q) => [q & 255, (q >>> 8) & 255, (q >>> 16) & 255, q >>> 24])).toEqual([
      [18, 0, 99, 3],
      [255, 30, 40, 200],
    ]);
    expect(packFilterWords(ranges, undefined, 0)![1]! >>> 24).toBe(0);
    expect(packFilterWords({ ...ranges, value: Int16Array.of(18, 256) }, undefined, 0)).toBeUndefined();
    expect(packFilterWords({ ...ranges, min: Int16Array.of(-1, 30) }, undefined, 0)).toBeUndefined();
    expect(packFilterWords(ranges, Int32Array.of(0, 1), 257)).toBeUndefined();
  });
});

describe('exclusions and ranges during generation equal the naive reference', () => {
  it('inline: one-sided (every pruning variant, full and shard) and symmetric kernels', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: PRUNINGS.length - 1 }), fc.nat(8), (c, pi, heavy) => {
        const { input, filters, normalization, k, minShared, pick } = c;
        const w = weights(normalization);
        const opts = { k, minSharedMerchants: minShared, ...coreFilters(filters) };
        // partners in blocks of 1 to 4 users, or one block (the default) when heavy is even
        const blockUsers = heavy % 2 === 0 ? undefined : 1 + (heavy % 4);
        const sym = generateCandidates(matrixOf(input, w, 'user'), {
          ...opts,
          heavyColumns: heavy,
          ...(blockUsers !== undefined && { blockUsers }),
        });
        expect(useSymmetric(matrixOf(input, w, 'user'), opts)).toBe(true);
        const divisor = divisorOf(sym, w.normalization);
        check(sym, input, w, k, minShared, filters, divisor);
        const m = matrixOf(input, w, 'value');
        const pruning = PRUNINGS[pi];
        const all = Int32Array.from({ length: input.userCount }, (_, i) => i);
        for (const users of [all, shardOf(input.userCount, pick)]) {
          const pools = generateCandidates(m, { ...opts, users, ...(pruning && { pruning }) });
          check(pools, input, w, k, minShared, filters, divisor);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('together with a group filter', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 1, max: 3 }), fc.nat(8), (c, groups, heavy) => {
        const { input, filters, normalization, k, minShared, pick } = c;
        const w = weights(normalization);
        const group = Array.from({ length: input.userCount }, (_, u) => (u + pick) % groups);
        const mayPair = Array.from({ length: groups * groups }, (_, i) =>
          Math.floor(i / groups) === i % groups || (i + pick) % 2 === 0 ? 1 : 0,
        );
        for (let a = 0; a < groups; a++)
          for (let b = 0; b < a; b++) mayPair[a * groups + b] = mayPair[b * groups + a]!;
        const eligibility = {
          group: Int32Array.from(group),
          groupCount: groups,
          mayPair: Uint8Array.from(mayPair),
        };
        const naive = naiveTopK(input, w, k, minShared, { group, groupCount: groups, mayPair }, filters);
        const opts = { k, minSharedMerchants: minShared, eligibility, ...coreFilters(filters) };
        const sym = generateCandidates(matrixOf(input, w, 'user'), { ...opts, heavyColumns: heavy });
        const divisor = divisorOf(sym, w.normalization);
        expectPoolsMatch(sym, naive, divisor);
        if (opts.ranges !== undefined) {
          // the same ranges beyond 8 bits: the kernel reads the arrays, not packed words
          const shift = (a: Int16Array) => a.map((x) => x + 300);
          const wide = {
            value: shift(opts.ranges.value),
            min: shift(opts.ranges.min),
            max: shift(opts.ranges.max),
          };
          expect(packFilterWords(wide, eligibility.group, groups)).toBeUndefined();
          const unpacked = generateCandidates(matrixOf(input, w, 'user'), {
            ...opts,
            ranges: wide,
            heavyColumns: heavy,
          });
          expectPoolsMatch(unpacked, naive, divisor);
        }
        const users = Int32Array.from({ length: input.userCount }, (_, i) => i);
        expectPoolsMatch(generateCandidates(matrixOf(input, w, 'value'), { ...opts, users }), naive, divisor);
      }),
      { numRuns: 300 },
    );
  });

  it('2 worker threads: full (symmetric) and shard (one-sided, pruning on and off)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.boolean(), fc.nat(8), async (c, cut, heavy) => {
        const { input, filters, normalization, k, minShared, pick } = c;
        const w = weights(normalization);
        const opts = { k, minSharedMerchants: minShared, threads: 2, chunkSize: 3, ...coreFilters(filters) };
        const full = await computeCandidates(matrixOf(input, w, 'user'), { ...opts, heavyColumns: heavy });
        const divisor = divisorOf(full, w.normalization);
        check(full, input, w, k, minShared, filters, divisor);
        const shard = await computeCandidates(matrixOf(input, w, 'value'), {
          ...opts,
          users: shardOf(input.userCount, pick),
          pruning: cut ? FULL_PRUNING : { ...FULL_PRUNING, cut: false },
        });
        check(shard, input, w, k, minShared, filters, divisor);
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});

const row = (user: number, merchant: number, visits = 1): NaiveRow => ({
  user,
  merchant,
  visits,
  lastVisitDay: 29,
});
const cosine = weights('cosine');
/** Six users at two merchants, everyone sharing merchant 0. */
const six: NaiveInput = {
  userCount: 6,
  merchantCount: 3,
  rows: [row(0, 0), row(1, 0), row(2, 0, 2), row(3, 0), row(4, 0, 3), row(5, 1), row(0, 1), row(5, 2)],
};

function poolsOf(order: PostingOrder, options: Omit<CandidateOptions, 'k'>, input = six): number[][] {
  const p = generateCandidates(matrixOf(input, cosine, order), {
    k: 10,
    ...(order === 'value' && { users: Int32Array.from({ length: input.userCount }, (_, i) => i) }),
    ...options,
  });
  return Array.from({ length: input.userCount }, (_, u) =>
    Array.from(p.candidates.subarray(p.offsets[u], p.offsets[u + 1])).sort((a, b) => a - b),
  );
}

describe.each<PostingOrder>(['value', 'user'])('filter edge cases (posting lists by %s)', (order) => {
  it('a user excluding everyone has an empty pool and is in no pool', () => {
    const lists = [[], [], [0, 1, 2, 3, 4, 5], [], [], []];
    const got = poolsOf(order, { exclude: csr(lists) });
    expect(got[2]).toEqual([]);
    for (const pool of got) expect(pool).not.toContain(2);
    expect(got[0]).toEqual([1, 3, 4, 5]);
  });

  it('exclusions are symmetrised: one direction is enough', () => {
    // 4 lists 0 only; 0 must lose 4 as well
    const got = poolsOf(order, { exclude: csr([[], [], [], [], [0], []]) });
    expect(got[4]).toEqual([1, 2, 3]);
    expect(got[0]).toEqual([1, 2, 3, 5]);
  });

  it('excluding users with no shared merchant changes nothing', () => {
    const plain = poolsOf(order, {});
    // 5 shares only merchant 1 with 0: 5 and 1..4 have nothing in common
    const got = poolsOf(order, { exclude: csr([[], [5], [5], [5], [5], []]) });
    expect(got).toEqual(plain);
  });

  it('ranges that admit nobody give empty pools', () => {
    const ranges = coreRanges({
      value: [20, 20, 20, 20, 20, 20],
      min: [30, 30, 30, 30, 30, 30],
      max: [40, 40, 40, 40, 40, 40],
    });
    expect(poolsOf(order, { ranges })).toEqual([[], [], [], [], [], []]);
    const empty = coreRanges({
      value: [20, 20, 20, 20, 20, 20],
      min: [25, 25, 25, 25, 25, 25],
      max: [18, 18, 18, 18, 18, 18],
    });
    expect(poolsOf(order, { ranges: empty })).toEqual([[], [], [], [], [], []]);
  });

  it('asymmetric ranges: both sides must admit the other', () => {
    // 0 (age 30) accepts 20–40; 1 (age 25) accepts only 20–28, so 0 and 1 never meet
    const ranges = coreRanges({
      value: [30, 25, 30, 30, 30, 30],
      min: [20, 20, 18, 18, 18, 18],
      max: [40, 28, 99, 99, 99, 99],
    });
    const got = poolsOf(order, { ranges });
    expect(got[0]).not.toContain(1);
    expect(got[1]).toEqual([]);
    expect(got[0]).toEqual([2, 3, 4, 5]);
  });
});

describe('filter validation and closure', () => {
  const m = matrixOf(six, cosine, 'value');
  it('rejects malformed exclusions and ranges', () => {
    expect(() =>
      generateCandidates(m, { k: 3, exclude: { offsets: new Int32Array(6), ids: new Int32Array(0) } }),
    ).toThrow(RangeError);
    expect(() =>
      generateCandidates(m, {
        k: 3,
        exclude: { offsets: Int32Array.from([0, 1, 1, 1, 1, 1, 1]), ids: Int32Array.from([6]) },
      }),
    ).toThrow(RangeError);
    expect(() =>
      generateCandidates(m, {
        k: 3,
        exclude: { offsets: Int32Array.from([0, 2, 1, 1, 1, 1, 1]), ids: Int32Array.from([1]) },
      }),
    ).toThrow(RangeError);
    const short = { value: new Int16Array(5), min: new Int16Array(6), max: new Int16Array(6) };
    expect(() => generateCandidates(m, { k: 3, ranges: short })).toThrow(RangeError);
  });

  it('closeExclusions: both directions, sorted, no duplicates or self entries', () => {
    const closed = closeExclusions(csr([[2, 2, 0], [], [1], []]), 4, true);
    expect(closed.closed).toBe(true);
    expect(closed.ids.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(closed.offsets)).toEqual([0, 1, 2, 4, 4]);
    expect(Array.from(closed.ids)).toEqual([2, 2, 0, 1]);
  });
});
