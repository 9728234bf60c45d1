import { compileUsers } from './compiled-users.ts';
import { buildEligibleEdges, type EdgeSet } from './edges.ts';
import { sortEdges } from './edge-order.ts';
import { buildAdjacency, emptyMatching, greedyFill, improveMatching } from './matching.ts';
import { pairingStats } from './stats.ts';
import { PairingOptionsSchema } from './types.ts';
import type { MatchedPair, PairingInput, PairingOptionsInput, PairingResult } from './types.ts';

/**
 * The daily pairing of design section 5: a symmetric matching (nobody in two pairs) over the
 * eligible candidate edges that aims at the largest total score.
 *
 * - Edges: a pair is a candidate when either user lists the other; its score and shared count are
 *   the larger of the two entries; only pairs passing `isEligiblePair` remain.
 * - Order: score descending, ties by `pairTieHash` (seeded by the date and the two ids), then ids.
 * - Greedy in that order, then `improveMatching` (length-3 augmenting paths and swaps) for at most
 *   `maxImprovementPasses` passes. The total is therefore never below plain greedy's (itself at
 *   least half the optimum), and the matching is maximal: no eligible edge has both ends unpaired.
 * - Deterministic: the output depends only on the users' ids and attributes, the edges, the blocks,
 *   the recent pairs and the options, never on the order of `users` or of the lists.
 *
 * Pairs come in canonical order (best first), each with `a` the user whose id sorts first.
 * Time O(n log n + L + E·passes) for n users and L list entries (E ≤ L eligible edges), with typed
 * arrays throughout. Throws a RangeError on malformed input (see `buildEligibleEdges` and
 * `compileUsers`) and a ZodError on bad options.
 */
export function pairUsers(input: PairingInput, options: PairingOptionsInput): PairingResult {
  const { date, minSharedMerchants, maxImprovementPasses } = PairingOptionsSchema.parse(options);
  const n = input.users.length;
  const compiled = compileUsers(input.users, date);
  const edges = sortEdges(buildEligibleEdges(input, compiled, minSharedMerchants), compiled);

  const matching = emptyMatching(n);
  greedyFill(edges, matching);
  const greedyTotalScore = totalScore(edges, matching.mateEdge);
  const adjacency = buildAdjacency(edges, n);
  const { moves, passes } = improveMatching(
    edges,
    adjacency,
    matching,
    maxImprovementPasses,
    compiled.idRank,
  );

  const pairs: MatchedPair[] = [];
  for (let e = 0; e < edges.count; e += 1) {
    const x = edges.lo[e] as number;
    if (matching.mateEdge[x] !== e) continue;
    const y = edges.hi[e] as number;
    const xFirst = (compiled.idRank[x] as number) < (compiled.idRank[y] as number);
    pairs.push({
      a: xFirst ? x : y,
      b: xFirst ? y : x,
      score: edges.score[e] as number,
      sharedMerchants: edges.shared[e] as number,
    });
  }

  let usersWithEligibleEdge = 0;
  for (let u = 0; u < n; u += 1) {
    if ((adjacency.start[u + 1] as number) > (adjacency.start[u] as number)) usersWithEligibleEdge += 1;
  }
  return {
    pairs,
    stats: pairingStats({
      users: n,
      usersWithEligibleEdge,
      eligibleEdges: edges.count,
      pairScores: pairs.map((p) => p.score),
      greedyTotalScore,
      improvementMoves: moves,
      improvementPasses: passes,
    }),
  };
}

/** The sum of the matched edges' scores, best first (a fixed order, so equal inputs give equal bits). */
function totalScore(edges: EdgeSet, mateEdge: Int32Array): number {
  let total = 0;
  for (let e = 0; e < edges.count; e += 1) {
    if (mateEdge[edges.lo[e] as number] === e) total += edges.score[e] as number;
  }
  return total;
}
