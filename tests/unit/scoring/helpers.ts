import { expect } from 'vitest';
import {
  buildScoringMatrix,
  type MatrixWeights,
  type PostingOrder,
} from '../../../src/core/scoring/matrix.ts';
import type { CandidatePools } from '../../../src/core/scoring/candidates.ts';
import type { NaiveCandidate, NaiveInput } from './naive-reference.ts';

export const TOL = 1e-9;

/** Columns of a naive input. */
export function matrixOf(input: NaiveInput, w: MatrixWeights, postingOrder: PostingOrder = 'value') {
  const n = input.rows.length;
  return buildScoringMatrix(
    {
      userCount: input.userCount,
      merchantCount: input.merchantCount,
      user: Int32Array.from(input.rows, (r) => r.user),
      merchant: Int32Array.from(input.rows, (r) => r.merchant),
      visits: Float64Array.from(input.rows, (r) => r.visits),
      lastVisitDay: Int32Array.from({ length: n }, (_, i) => input.rows[i]!.lastVisitDay),
      ...(input.categories && { merchantCategory: Uint8Array.from(input.categories) }),
    },
    w,
    { postingOrder },
  );
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= TOL * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Pools equal the naive top k up to float noise: same length, same scores rank by rank, every
 * candidate a real one with its score, every candidate clearly above the k-th score present,
 * order by score then smaller id, shared counts equal.
 */
export function expectPoolsMatch(
  pools: CandidatePools,
  naive: { top: NaiveCandidate[][]; all: NaiveCandidate[][] },
  divisor: number,
  checkShared = true,
): void {
  for (let i = 0; i < pools.users.length; i++) {
    const u = pools.users[i]!;
    const exp = naive.top[u]!;
    const all = new Map(naive.all[u]!.map((c) => [c.v, c]));
    const got: { v: number; score: number; raw: number; shared: number }[] = [];
    for (let j = pools.offsets[i]!; j < pools.offsets[i + 1]!; j++) {
      got.push({
        v: pools.candidates[j]!,
        raw: pools.overlap[j]!,
        score: pools.overlap[j]! / divisor,
        shared: pools.shared[j]!,
      });
    }
    const ctx = `user ${String(u)}: got ${JSON.stringify(got)} expected ${JSON.stringify(exp)}`;
    expect(got.length, ctx).toBe(exp.length);
    const seen = new Set<number>();
    got.forEach((g, r) => {
      expect(close(g.score, exp[r]!.score), ctx).toBe(true);
      const real = all.get(g.v);
      expect(real, ctx).toBeDefined();
      expect(close(g.score, real!.score), ctx).toBe(true);
      if (checkShared) expect(g.shared, ctx).toBe(real!.shared);
      expect(seen.has(g.v), ctx).toBe(false);
      seen.add(g.v);
      if (r > 0) {
        const p = got[r - 1]!;
        expect(p.raw > g.raw || (p.raw === g.raw && p.v < g.v), ctx).toBe(true);
      }
    });
    if (exp.length > 0) {
      const kth = exp[exp.length - 1]!.score;
      for (const c of naive.all[u]!) {
        if (c.score > kth && !close(c.score, kth)) expect(seen.has(c.v), ctx).toBe(true);
      }
    }
  }
}

/** The run's scaling divisor of the pools (1 for cosine). */
export function divisorOf(pools: CandidatePools, normalization: string): number {
  return normalization === 'cosine' || pools.maxOverlap === 0 ? 1 : pools.maxOverlap;
}

/** Options of {@link skewedPopulation}. */
export interface SkewedPopulation {
  users: number;
  seed: number;
  merchants: number;
  /** Chance that a user visits merchant m: `head / (m + 1) + floor`. */
  head: number;
  floor: number;
  /** Visit counts 1..maxVisits. */
  maxVisits: number;
  /** Last-visit days uniform in 0..29, or all on day 29. */
  spreadDays: boolean;
}

/**
 * A deterministic population with Zipf-like merchant popularity (merchant 0 the most visited),
 * from a linear congruential generator: the same options give the same rows.
 */
export function skewedPopulation(o: SkewedPopulation): NaiveInput {
  let x = o.seed;
  const rnd = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const rows = [];
  for (let u = 0; u < o.users; u++) {
    for (let m = 0; m < o.merchants; m++) {
      if (rnd() < o.head / (m + 1) + o.floor) {
        const visits = 1 + Math.floor(rnd() * o.maxVisits);
        rows.push({ user: u, merchant: m, visits, lastVisitDay: o.spreadDays ? Math.floor(rnd() * 30) : 29 });
      }
    }
  }
  return { userCount: o.users, merchantCount: o.merchants, rows };
}
