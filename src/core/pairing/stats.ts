import type { PairingStats } from './types.ts';

/**
 * Builds {@link PairingStats}: `pairs = pairScores.length`, `pairedUsers = 2 · pairs`,
 * `totalScore = Σ pairScores` (summed in the given, canonical order, so equal inputs give equal
 * bits), `meanScore = totalScore / pairs`, `coverageEligible = pairedUsers / usersWithEligibleEdge`,
 * `coverageAll = pairedUsers / users`; each ratio is 0 when its denominator is 0.
 */
export function pairingStats(facts: {
  users: number;
  usersWithEligibleEdge: number;
  eligibleEdges: number;
  pairScores: readonly number[];
  greedyTotalScore: number;
  improvementMoves: number;
  improvementPasses: number;
}): PairingStats {
  const pairs = facts.pairScores.length;
  let totalScore = 0;
  for (const s of facts.pairScores) totalScore += s;
  const pairedUsers = 2 * pairs;
  const ratio = (x: number, y: number): number => (y === 0 ? 0 : x / y);
  return {
    users: facts.users,
    usersWithEligibleEdge: facts.usersWithEligibleEdge,
    eligibleEdges: facts.eligibleEdges,
    pairs,
    pairedUsers,
    coverageEligible: ratio(pairedUsers, facts.usersWithEligibleEdge),
    coverageAll: ratio(pairedUsers, facts.users),
    totalScore,
    meanScore: ratio(totalScore, pairs),
    greedyTotalScore: facts.greedyTotalScore,
    improvementMoves: facts.improvementMoves,
    improvementPasses: facts.improvementPasses,
  };
}
