import { z } from 'zod';
import { MERCHANT_CATEGORIES } from '../scoring/weight-set.ts';
import { CalendarDateSchema } from '../shared/calendar-date.ts';
import { GENDERS } from '../shared/gender.ts';
import { aliasFor } from './alias.ts';
import { ageBand, bucketSharedCount, displayScore, topSharedCategories } from './buckets.ts';
import {
  CardMerchantSchema,
  GUESSES_PER_MATCH,
  MAX_CONFIRMED_MERCHANTS,
  MAX_REVEALED_MERCHANTS,
  type CardMerchant,
  type MatchCard,
} from './card-schema.ts';
import { DECISION_STATES } from './decision.ts';

/**
 * What {@link maskCard} reads. Objects are not strict: a caller may pass whole rows, and every
 * field not named here (display name, ids, birth date, amounts…) is dropped on parsing.
 */
export const MaskCardInputSchema = z.object({
  match: z.object({
    matchId: z.guid(),
    matchDate: CalendarDateSchema,
    /** The end of the match day in the viewer's time zone, computed by the caller. */
    expiresAt: z.date(),
    score: z.number(),
    /** `fraction` for a score in [0, 1], `percent` for 0–100. */
    scoreScale: z.enum(['fraction', 'percent']),
    /** The exact count: only its bucket reaches the card. */
    sharedMerchantCount: z.int().min(1),
    topSharedCategories: z.array(z.object({ category: z.enum(MERCHANT_CATEGORIES), weight: z.number() })),
    /** Co-presence: they paid at a shared merchant within the weight set's minutes of each other. */
    crossedPaths: z.boolean(),
  }),
  /** Which user of the pair is looking (`a` = the smaller internal id). */
  viewerSide: z.enum(['a', 'b']),
  /** The counterpart's public attributes. */
  counterpart: z.object({
    birthYear: z.int(),
    gender: z.enum(GENDERS),
    city: z.string().min(1).max(100),
    verified: z.boolean(),
  }),
  /** The counterpart's reveals that pass k-anonymity, in the order to show. */
  reveals: z.array(CardMerchantSchema),
  guessGame: z.object({
    enabled: z.boolean(),
    guessesLeft: z.int().min(0).max(GUESSES_PER_MATCH),
    /** Merchants confirmed by either user's correct guesses (k-anonymous ones only). */
    confirmed: z.array(CardMerchantSchema),
  }),
  decision: z.enum(DECISION_STATES),
});
export type MaskCardInput = z.input<typeof MaskCardInputSchema>;

/** Keeps the first of equal (name, category) entries, in order, up to `limit`. */
function distinctMerchants(merchants: readonly CardMerchant[], limit: number): CardMerchant[] {
  const seen = new Set<string>();
  const result: CardMerchant[] = [];
  for (const { name, category } of merchants) {
    const key = JSON.stringify([name, category]);
    if (seen.has(key)) continue;
    seen.add(key);
    result.push({ name, category });
    if (result.length === limit) break;
  }
  return result;
}

/**
 * The card of design section 5, field by field from the input, never by copying an object:
 * `alias = aliasFor(matchId, viewerSide)`, `ageBand = ageBand(birthYear, matchDate)`,
 * `score = displayScore(score, scoreScale)`, `reasons.sharedMerchantCount =
 * bucketSharedCount(sharedMerchantCount)`, `reasons.topSharedCategories =
 * topSharedCategories(...)`, `revealedMerchants` = the first 5 distinct reveals, `guessGame.confirmed`
 * = the first 6 distinct confirmed merchants, `guessGame.guessesLeft` = 0 when the game is disabled.
 * The card is built field by field from the parsed input, so it cannot carry anything else; the
 * route's serializer checks it against `MatchCardSchema` (card-schema.ts) on the way out, and the
 * property tests check every generated card, so it is not parsed twice on the hot path. Pure:
 * equal inputs give equal cards. Throws a ZodError on invalid input, a RangeError on an
 * impossible age.
 */
export function maskCard(input: MaskCardInput): MatchCard {
  const { match, viewerSide, counterpart, reveals, guessGame, decision } = MaskCardInputSchema.parse(input);
  return {
    matchId: match.matchId,
    matchDate: match.matchDate,
    expiresAt: match.expiresAt.toISOString(),
    alias: aliasFor(match.matchId, viewerSide),
    ageBand: ageBand(counterpart.birthYear, match.matchDate),
    gender: counterpart.gender,
    city: counterpart.city,
    verified: counterpart.verified,
    score: displayScore(match.score, match.scoreScale),
    reasons: {
      sharedMerchantCount: bucketSharedCount(match.sharedMerchantCount),
      topSharedCategories: topSharedCategories(match.topSharedCategories),
      crossedPaths: match.crossedPaths,
    },
    revealedMerchants: distinctMerchants(reveals, MAX_REVEALED_MERCHANTS),
    guessGame: {
      enabled: guessGame.enabled,
      guessesLeft: guessGame.enabled ? guessGame.guessesLeft : 0,
      confirmed: distinctMerchants(guessGame.confirmed, MAX_CONFIRMED_MERCHANTS),
    },
    decision,
  };
}
