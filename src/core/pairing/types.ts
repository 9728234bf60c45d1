import { z } from 'zod';
import { CalendarDateSchema } from '../shared/calendar-date.ts';
import type { Gender } from '../shared/gender.ts';

/**
 * One user of a pairing run, at index i of {@link PairingInput.users}. All attributes are as of
 * the business date; the caller derives them (the core has no clock and no database).
 */
export interface PairingUser {
  /**
   * A stable identity (the internal user id as a string). It orders ties and canonicalizes the
   * output, so the result never depends on the order of `users`. Unique within one input.
   */
  readonly id: string;
  readonly city: string;
  readonly gender: Gender;
  /** Genders this user wants to meet; never empty for a real profile (an empty list matches nobody). */
  readonly seeking: readonly Gender[];
  /** Age at the business date (see `ageInYearOf`). */
  readonly age: number;
  readonly ageMin: number;
  readonly ageMax: number;
  /** Real-name verified by the platform: an eligibility filter only, never a ranking signal. */
  readonly verified: boolean;
  /** Wants only verified counterparts. */
  readonly onlyVerified: boolean;
  /** Suspended from matching (reports). */
  readonly suspended: boolean;
  /** Holds a current `transactions` consent. */
  readonly consentTransactions: boolean;
  /** Holds a current `matching` consent. */
  readonly consentMatching: boolean;
  /**
   * The scored candidates, as parallel arrays (the shape of the `candidates` table):
   * `indices[j]` is a user index, `scores[j]` the full score in [0, 1], `sharedCounts[j]` the number
   * of shared non-stop merchants. Self-references are ignored.
   */
  readonly candidates: CandidateList;
}

/** Parallel arrays of equal length; typed arrays keep ten million entries cheap. */
export interface CandidateList {
  readonly indices: ArrayLike<number>;
  readonly scores: ArrayLike<number>;
  readonly sharedCounts: ArrayLike<number>;
}

/** An unordered pair of user indices, as given by the caller (either direction). */
export type IndexPair = readonly [number, number];

/** Everything one pairing run needs, for one business date. */
export interface PairingInput {
  readonly users: readonly PairingUser[];
  /** Block relations: a pair here is never eligible, whoever blocked whom. */
  readonly blocks: readonly IndexPair[];
  /** Pairs already matched within `repeatCooldownDays` before the date: never eligible. */
  readonly recentPairs: readonly IndexPair[];
}

/** The options of {@link PairingOptionsSchema}, as given. */
export type PairingOptionsInput = z.input<typeof PairingOptionsSchema>;
/** The options after defaults. */
export type PairingOptions = z.output<typeof PairingOptionsSchema>;

/**
 * Options of a pairing run. `date` (the business date) seeds the tie-breaking hash;
 * `minSharedMerchants` is the weight set's (1–10); `maxImprovementPasses` bounds the local
 * improvement (0 = plain greedy), each pass being linear in the number of edges.
 */
export const PairingOptionsSchema = z.strictObject({
  date: CalendarDateSchema,
  minSharedMerchants: z.int().min(1).max(10),
  maxImprovementPasses: z.int().min(0).max(1000).default(20),
});

/** One pair of the matching: `a` and `b` are user indices, `a`'s id sorting before `b`'s. */
export interface MatchedPair {
  readonly a: number;
  readonly b: number;
  /** The edge's score: the larger of the two lists' entries when both list the pair. */
  readonly score: number;
  /** The shared merchant count, likewise the larger of the two entries. */
  readonly sharedMerchants: number;
}

/**
 * Run statistics. `coverageEligible = pairedUsers / usersWithEligibleEdge` (0 when nobody has an
 * eligible edge), `coverageAll = pairedUsers / users` (0 for no users), `meanScore = totalScore /
 * pairs` (0 for no pairs). `greedyTotalScore` is the total before local improvement, and
 * `improvementMoves` the number of improving moves applied.
 */
export interface PairingStats {
  readonly users: number;
  readonly usersWithEligibleEdge: number;
  readonly eligibleEdges: number;
  readonly pairs: number;
  readonly pairedUsers: number;
  readonly coverageEligible: number;
  readonly coverageAll: number;
  readonly totalScore: number;
  readonly meanScore: number;
  readonly greedyTotalScore: number;
  readonly improvementMoves: number;
  readonly improvementPasses: number;
}

/** The matching, in canonical order (score descending, then the date-seeded tie hash), and its stats. */
export interface PairingResult {
  readonly pairs: readonly MatchedPair[];
  readonly stats: PairingStats;
}
