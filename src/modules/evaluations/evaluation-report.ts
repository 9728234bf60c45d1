import { gini, lorenzCurve } from '../../core/evaluation/exposure.ts';
import { outcomeAuc, outcomeDeciles, type ScoredOutcome } from '../../core/evaluation/outcome-deciles.ts';
import { scoreHistogram } from '../../core/evaluation/score-histogram.ts';
import { identicalPairShare, simulatePairingDays } from '../../core/evaluation/simulate-pairing.ts';
import type { MatchedPair } from '../../core/pairing/index.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import type { DecidedMatch } from './evaluation-data.repository.ts';
import { yieldToEventLoop } from '../../queue/worker-lifecycle.ts';
import type { ScoredPopulation } from './evaluation-scoring.ts';
import type { SetReport } from './evaluations.schemas.ts';

/** Days of pairing simulated for the exposure figures (design section 7: the last 30 days). */
export const EXPOSURE_DAYS = 30;

/**
 * What one weight set does to the current data, before it is reduced to aggregates. It holds user
 * ids (the day-1 pairs, to compare with the active set's) and never leaves the evaluation job.
 */
export type SetFigures = {
  weightSetId: string;
  eligibleUsers: number;
  day1: ReadonlyArray<readonly [string, string]>;
  day1Scores: number[];
  exposure: Int32Array;
  outcomes: ScoredOutcome[];
};

/** Simulates `days` successive days of pairing (day 1 is the nightly's), yielding between days. */
export async function simulateDays(
  scored: ScoredPopulation,
  weights: WeightSet,
  date: string,
  days: number,
  onProgress: (fraction: number) => Promise<void>,
): Promise<Array<readonly MatchedPair[]>> {
  const out: Array<readonly MatchedPair[]> = [];
  const simulation = simulatePairingDays({
    users: scored.pairingUsers,
    pools: scored.pools,
    topK: weights.topK,
    blocks: scored.blocks,
    recentPairs: scored.recentPairs,
    date,
    minSharedMerchants: weights.minSharedMerchants,
    days,
  });
  for (const pairs of simulation) {
    out.push(pairs);
    await onProgress(out.length / days);
    await yieldToEventLoop();
  }
  return out;
}

/** The day's pairs as unordered pairs of user ids. */
export const pairIds = (scored: ScoredPopulation, pairs: readonly MatchedPair[]): Array<[string, string]> =>
  pairs.map((p) => [scored.users[p.a]!.userId, scored.users[p.b]!.userId]);

/**
 * Past shown matches with decisions, scored by this set: pairs of which either user is not
 * eligible now (erased, consent withdrawn, suspended) are left out, as their data is not scored.
 */
export async function scoreOutcomes(
  scored: ScoredPopulation,
  decided: readonly DecidedMatch[],
): Promise<ScoredOutcome[]> {
  const out: ScoredOutcome[] = [];
  for (let i = 0; i < decided.length; i++) {
    const m = decided[i]!;
    const a = scored.index.get(m.userA);
    const b = scored.index.get(m.userB);
    if (a !== undefined && b !== undefined) {
      out.push({
        score: scored.scorePair(a, b),
        users: [a, b],
        decisions: m.decisions,
        likes: m.likes,
        mutual: m.likes >= 2,
      });
    }
    if (i % 2_000 === 1_999) await yieldToEventLoop();
  }
  return out;
}

/**
 * The published report of one set: aggregates only. `activeDay1` is the active set's day-1
 * pairing (null without an active set); a set compared with itself gives 1.
 */
export function toSetReport(
  figures: SetFigures,
  activeDay1: ReadonlyArray<readonly [string, string]> | null,
  kAnon: number,
): SetReport {
  const pairedUsers = 2 * figures.day1.length;
  const { eligibleUsers } = figures;
  const meanScore =
    figures.day1Scores.length === 0
      ? null
      : figures.day1Scores.reduce((s, x) => s + Math.round(100 * x), 0) / figures.day1Scores.length;
  return {
    weightSetId: figures.weightSetId,
    eligibleUsers,
    pairedUsers,
    coverage: eligibleUsers === 0 ? 0 : pairedUsers / eligibleUsers,
    meanScore,
    scoreHistogram: scoreHistogram(figures.day1Scores, kAnon),
    exposure: {
      days: EXPOSURE_DAYS,
      gini: gini(figures.exposure),
      lorenz: lorenzCurve(figures.exposure),
    },
    identicalToActiveShare: activeDay1 === null ? null : identicalPairShare(figures.day1, activeDay1),
    outcomes: {
      shownMatches: figures.outcomes.length,
      auc: outcomeAuc(figures.outcomes, kAnon),
      deciles: outcomeDeciles(figures.outcomes, kAnon),
    },
  };
}
