import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaleOverlap, type CandidatePools } from '../../../src/core/scoring/candidates.ts';
import { rerankPool, type PoolSignals, type RankedPair } from '../../../src/core/scoring/rerank.ts';
import { DEFAULT_WEIGHT_SET, type WeightSet } from '../../../src/core/scoring/weight-set.ts';
import { coPresenceCounter } from '../../../src/modules/pipeline/co-presence.ts';
import type { CandidateRow, CityUser } from '../../../src/modules/pipeline/pipeline.repository.ts';
import {
  coPresenceCount,
  mayReachTopK,
  mayReachTopKBounds,
  mayReachTopKRanked,
  minuteOffsets,
  newBoundsTrial,
  shardCandidates,
  slicePools,
} from '../../../src/modules/pipeline/shard-scoring.ts';
import { cityUserOf } from './city-users.ts';

/**
 * The shard's cut skips the co-presence of entries that bounds already exclude. It must store
 * exactly what the cut over every entry stored: the reference below is that cut as it was
 * (co-presence of every entry by merge, both re-rankings, `mayReachTopK`).
 */
function referenceCut(
  users: CityUser[],
  stop: Uint8Array,
  avgTicket: Float64Array,
  pools: CandidatePools,
  weights: WeightSet,
  scaleLo: number,
  scaleHi: number,
): CandidateRow[] {
  const { normalization, coPresenceMinutes, topK } = weights;
  const starts = users.map(minuteOffsets);
  const all = { ...weights, topK: Number.MAX_SAFE_INTEGER };
  const rows: CandidateRow[] = [];
  for (let i = 0; i < pools.users.length; i++) {
    const uIdx = pools.users[i]!;
    const kept: number[] = [];
    for (let p = pools.offsets[i]!; p < pools.offsets[i + 1]!; p++) kept.push(p);
    if (kept.length === 0) continue;
    const candidates = Int32Array.from(kept, (p) => pools.candidates[p]!);
    const raw = Float64Array.from(kept, (p) => pools.overlap[p]!);
    const shared = Int32Array.from(kept, (p) => pools.shared[p]!);
    const cp = Int32Array.from(kept, (p) =>
      coPresenceCount(
        users[uIdx]!,
        starts[uIdx]!,
        users[pools.candidates[p]!]!,
        starts[pools.candidates[p]!]!,
        stop,
        coPresenceMinutes,
      ),
    );
    const signals = (scale: number): PoolSignals => ({
      candidates,
      overlap: raw.map((x) => scaleOverlap(x, normalization, scale)),
      shared,
      coPresenceCount: cp,
      avgTicketUser: avgTicket[uIdx]!,
      avgTicketCandidate: Float64Array.from(candidates, (c) => avgTicket[c]!),
    });
    const position = new Map<number, number>();
    candidates.forEach((c, j) => position.set(c, j));
    const ranked = rerankPool(signals(scaleLo), all);
    let chosen: RankedPair[];
    if (normalization === 'cosine') chosen = ranked.slice(0, topK);
    else {
      const atLo = Float64Array.from(ranked, (r) => r.score);
      const hi = new Map(rerankPool(signals(scaleHi), all).map((r) => [r.candidate, r.score]));
      const atHi = Float64Array.from(ranked, (r) => hi.get(r.candidate) ?? 0);
      const keep = mayReachTopK(atLo, atHi, topK);
      chosen = ranked.filter((_, j) => keep[j] === 1);
    }
    if (chosen.length === 0) continue;
    rows.push({
      userId: users[uIdx]!.userId,
      candidateIds: chosen.map((r) => users[r.candidate]!.userId),
      scores: Float32Array.from(chosen, (r) => r.score),
      overlap: Float32Array.from(chosen, (r) => raw[position.get(r.candidate)!]!),
      coPresence: Float32Array.from(chosen, (r) => r.coPresence),
      spendLevel: Float32Array.from(chosen, (r) => r.spendLevel),
      shared: Int16Array.from(chosen, (r) => r.sharedMerchantCount),
    });
  }
  return rows;
}

const MERCHANTS = 6;

const cityUser = (id: number, visits: Array<{ m: number; minutes: number[] }>, ticket: number) =>
  cityUserOf(
    visits.map((v) => ({ merchant: v.m, minutes: v.minutes })),
    { userId: String(id + 1), amountCents: ticket },
  );

const population = fc.array(
  fc.record({
    visits: fc.uniqueArray(
      fc.record({
        m: fc.integer({ min: 0, max: MERCHANTS - 1 }),
        minutes: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 3 }),
      }),
      { selector: (v) => v.m, minLength: 1, maxLength: MERCHANTS },
    ),
    ticket: fc.integer({ min: 100, max: 400 }),
    // Overlaps on a coarse grid: ties and near-ties, where the margins matter.
    overlaps: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 0, maxLength: 14 }),
    shared: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 14, maxLength: 14 }),
  }),
  { minLength: 2, maxLength: 16 },
);

/** The definitions, pair by pair: j is dropped when `k` others beat it by more than the margin at both ends. */
const MARGIN = 1e-5;
function naiveBounds(
  lowLo: Float64Array,
  lowHi: Float64Array,
  upLo: Float64Array,
  upHi: Float64Array,
  k: number,
) {
  return Uint8Array.from(lowLo, (_, j) => {
    let beaten = 0;
    for (let i = 0; i < lowLo.length; i++) {
      if (lowLo[i]! > upLo[j]! + MARGIN && lowHi[i]! > upHi[j]! + MARGIN) beaten++;
    }
    return lowLo.length <= k || beaten < k ? 1 : 0;
  });
}

describe('the shard cut', () => {
  it('mayReachTopK, mayReachTopKRanked and mayReachTopKBounds keep exactly the entries fewer than k others beat at both ends', () => {
    const value = fc.integer({ min: 0, max: 40 }).map((x) => x / 40);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(value, value, value, value), { maxLength: 60 }),
        fc.integer({ min: 1, max: 8 }),
        (rows, k) => {
          const col = (i: number) => Float64Array.from(rows, (r) => r[i]!);
          const [a, b] = [col(0), col(1)];
          // lower bounds below upper bounds
          const lowLo = Float64Array.from(a, (x, i) => Math.min(x, col(2)[i]!));
          const upLo = Float64Array.from(a, (x, i) => Math.max(x, col(2)[i]!));
          const lowHi = Float64Array.from(b, (x, i) => Math.min(x, col(3)[i]!));
          const upHi = Float64Array.from(b, (x, i) => Math.max(x, col(3)[i]!));
          expect(mayReachTopK(a, b, k)).toEqual(naiveBounds(a, b, a, b, k));
          // already ranked by lo, with reused buffers (dirty from a previous call)
          const order = [...a.keys()].sort((x, y) => a[y]! - a[x]!);
          const [ra, rb] = [Float64Array.from(order, (i) => a[i]!), Float64Array.from(order, (i) => b[i]!)];
          const keep = new Uint8Array(ra.length + 3).fill(7);
          const heap = new Float64Array(k).fill(-1);
          mayReachTopKRanked(ra, rb, k, keep, heap);
          expect(keep.subarray(0, ra.length)).toEqual(naiveBounds(ra, rb, ra, rb, k));
          expect(mayReachTopKBounds(lowLo, lowHi, upLo, upHi, k)).toEqual(
            naiveBounds(lowLo, lowHi, upLo, upHi, k),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('mayReachTopKBounds with equal bounds is mayReachTopK', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 6 }),
        (pairs, k) => {
          const lo = Float64Array.from(pairs, ([a]) => a / 20);
          const hi = Float64Array.from(pairs, ([, b]) => b / 20);
          expect(mayReachTopKBounds(lo, hi, lo, hi, k)).toEqual(mayReachTopK(lo, hi, k));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('stores what the cut over every entry stores, for every normalization and scale interval, whole or in slices', () => {
    fc.assert(
      fc.property(
        population,
        fc.constantFrom('sqrt', 'none', 'cosine'),
        fc.integer({ min: 1, max: 5 }),
        fc.record({
          overlap: fc.integer({ min: 1, max: 8 }),
          co: fc.integer({ min: 0, max: 8 }),
          spend: fc.integer({ min: 0, max: 8 }),
        }),
        fc.integer({ min: 0, max: 3 }),
        fc.uint8Array({ minLength: MERCHANTS, maxLength: MERCHANTS, max: 1 }),
        fc.integer({ min: 1, max: 6 }),
        (people, normalization, topK, blend, minShared, stop, sliceUsers) => {
          const total = blend.overlap + blend.co + blend.spend;
          const weights: WeightSet = {
            ...DEFAULT_WEIGHT_SET,
            normalization,
            topK,
            minSharedMerchants: minShared,
            coPresenceMinutes: 60,
            blend: {
              overlap: blend.overlap / total,
              coPresence: blend.co / total,
              spendLevel: blend.spend / total,
            },
          };
          const users = people.map((p, i) => cityUser(i, p.visits, p.ticket));
          const avgTicket = Float64Array.from(users, (u) => u.amountCents);
          const offsets = [0];
          const candidates: number[] = [];
          const overlap: number[] = [];
          const shared: number[] = [];
          let maxOverlap = 0;
          people.forEach((p, u) => {
            const others = users.map((_, v) => v).filter((v) => v !== u);
            p.overlaps.slice(0, others.length).forEach((o, j) => {
              candidates.push(others[j]!);
              const raw = normalization === 'cosine' ? o / 12 : o;
              overlap.push(raw);
              shared.push(p.shared[j]!);
              maxOverlap = Math.max(maxOverlap, raw);
            });
            offsets.push(candidates.length);
          });
          const pools: CandidatePools = {
            users: Int32Array.from(users.keys()),
            offsets: Int32Array.from(offsets),
            candidates: Int32Array.from(candidates),
            overlap: Float64Array.from(overlap),
            shared: Uint16Array.from(shared),
            maxOverlap,
            stats: undefined as never,
          };
          const scaleLo = Math.max(maxOverlap, 1);
          const scaleHi = scaleLo * 1.7;
          const context = {
            users,
            matrix: undefined as never,
            query: pools.users,
            avgTicket,
            coPresence: coPresenceCounter(users, stop, MERCHANTS, weights.coPresenceMinutes),
          };
          const want = referenceCut(users, stop, avgTicket, pools, weights, scaleLo, scaleHi);
          for (const bounds of ['auto', 'always', 'never'] as const) {
            expect(shardCandidates({ context, pools, weights, scaleLo, scaleHi, bounds })).toEqual(want);
            // slice by slice, one trial carried over the slices (as a score job cuts a whole city)
            const trial = newBoundsTrial(bounds);
            const sliced: CandidateRow[] = [];
            for (let from = 0; from < pools.users.length; from += sliceUsers) {
              const slice = slicePools(pools, from, Math.min(pools.users.length, from + sliceUsers));
              sliced.push(
                ...shardCandidates({ context, pools: slice, weights, scaleLo, scaleHi, bounds, trial }),
              );
            }
            expect(sliced).toEqual(want);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
