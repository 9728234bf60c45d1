import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pairUsers, type MatchedPair, type PairingInput } from '../../../src/core/pairing/index.ts';
import {
  bruteForceOptimum,
  edgeKey,
  permute,
  populationArb,
  referenceEdges,
  referenceGreedy,
} from './population.ts';

const RUNS = { numRuns: 300 };
const total = (pairs: readonly MatchedPair[]): number => pairs.reduce((sum, p) => sum + p.score, 0);
const byIds = (input: PairingInput, pairs: readonly MatchedPair[]) =>
  pairs.map((p) => [input.users[p.a]?.id, input.users[p.b]?.id, p.score, p.sharedMerchants]);

describe('pairUsers properties', () => {
  it('is a matching: nobody in two pairs, no self pair, a before b by id', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const { pairs, stats } = pairUsers(input, { date, minSharedMerchants: minShared });
        const seen = new Set<number>();
        for (const { a, b } of pairs) {
          expect(a).not.toBe(b);
          expect(seen.has(a) || seen.has(b)).toBe(false);
          seen.add(a);
          seen.add(b);
          expect((input.users[a]?.id ?? '') < (input.users[b]?.id ?? '')).toBe(true);
        }
        expect(stats.pairs).toBe(pairs.length);
        expect(stats.pairedUsers).toBe(seen.size);
      }),
      RUNS,
    );
  });

  it('pairs only eligible candidate edges, with the maxima of their entries, in the same city', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const edges = referenceEdges(input, minShared);
        for (const pair of pairUsers(input, { date, minSharedMerchants: minShared }).pairs) {
          const edge = edges.get(edgeKey(pair.a, pair.b));
          expect(edge?.eligible).toBe(true);
          expect(pair.score).toBe(edge?.score);
          expect(pair.sharedMerchants).toBe(edge?.shared);
          expect(input.users[pair.a]?.city).toBe(input.users[pair.b]?.city);
        }
      }),
      RUNS,
    );
  });

  it('is symmetric: the partner map is an involution', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const partner = new Map<number, number>();
        for (const { a, b } of pairUsers(input, { date, minSharedMerchants: minShared }).pairs) {
          partner.set(a, b);
          partner.set(b, a);
        }
        for (const [u, v] of partner) expect(partner.get(v)).toBe(u);
      }),
      RUNS,
    );
  });

  it('is maximal: no eligible edge has both ends unpaired', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const paired = new Set(
          pairUsers(input, { date, minSharedMerchants: minShared }).pairs.flatMap((p) => [p.a, p.b]),
        );
        for (const edge of referenceEdges(input, minShared).values()) {
          if (edge.eligible) expect(paired.has(edge.x) || paired.has(edge.y)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('without improvement passes equals the reference greedy exactly (same order, same ties)', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const { pairs, stats } = pairUsers(input, {
          date,
          minSharedMerchants: minShared,
          maxImprovementPasses: 0,
        });
        expect(pairs).toEqual(referenceGreedy(input, minShared, date));
        expect(stats.improvementMoves).toBe(0);
      }),
      RUNS,
    );
  });

  it('never totals below plain greedy, and reports the greedy total it started from', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const greedy = total(referenceGreedy(input, minShared, date));
        const { pairs, stats } = pairUsers(input, { date, minSharedMerchants: minShared });
        expect(stats.greedyTotalScore).toBeCloseTo(greedy, 9);
        expect(total(pairs)).toBeGreaterThanOrEqual(greedy - 1e-9);
        expect(stats.totalScore).toBeCloseTo(total(pairs), 9);
      }),
      RUNS,
    );
  });

  it('lies between half the optimum and the optimum on small populations', () => {
    fc.assert(
      fc.property(populationArb(9), ({ input, minShared, date }) => {
        const optimum = bruteForceOptimum([...referenceEdges(input, minShared).values()]);
        const result = total(pairUsers(input, { date, minSharedMerchants: minShared }).pairs);
        expect(result).toBeLessThanOrEqual(optimum + 1e-9);
        expect(result).toBeGreaterThanOrEqual(optimum / 2 - 1e-9);
      }),
      RUNS,
    );
  });

  it('counts eligible edges and users like the definition', () => {
    fc.assert(
      fc.property(populationArb(), ({ input, minShared, date }) => {
        const eligible = [...referenceEdges(input, minShared).values()].filter((e) => e.eligible);
        const withEdge = new Set(eligible.flatMap((e) => [e.x, e.y]));
        const { stats } = pairUsers(input, { date, minSharedMerchants: minShared });
        expect(stats.eligibleEdges).toBe(eligible.length);
        expect(stats.usersWithEligibleEdge).toBe(withEdge.size);
        expect(stats.users).toBe(input.users.length);
        expect(stats.coverageEligible).toBe(withEdge.size === 0 ? 0 : stats.pairedUsers / withEdge.size);
        expect(stats.coverageAll).toBe(input.users.length === 0 ? 0 : stats.pairedUsers / input.users.length);
        expect(stats.coverageEligible).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it('gives the same output for the same input, and for any order of users and lists', () => {
    fc.assert(
      fc.property(
        populationArb().chain((p) =>
          fc.record({
            population: fc.constant(p),
            perm: fc.shuffledSubarray([...Array(p.input.users.length).keys()], {
              minLength: p.input.users.length,
            }),
            reverseLists: fc.boolean(),
          }),
        ),
        ({ population: { input, minShared, date }, perm, reverseLists }) => {
          const options = { date, minSharedMerchants: minShared };
          const first = pairUsers(input, options);
          expect(pairUsers(input, options)).toEqual(first);
          const shuffled = permute(input, perm, reverseLists);
          const second = pairUsers(shuffled, options);
          expect(byIds(shuffled, second.pairs)).toEqual(byIds(input, first.pairs));
          expect(second.stats).toEqual(first.stats);
        },
      ),
      RUNS,
    );
  });
});
