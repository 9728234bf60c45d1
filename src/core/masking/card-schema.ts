import { z } from 'zod';
import { MERCHANT_CATEGORIES } from '../scoring/weight-set.ts';
import { CalendarDateSchema } from '../shared/calendar-date.ts';
import { GENDERS } from '../shared/gender.ts';
import { MAX_TOP_CATEGORIES, SHARED_COUNT_BUCKETS } from './buckets.ts';
import { DECISION_STATES } from './decision.ts';

/** A user may reveal at most this many merchants (design section 1). */
export const MAX_REVEALED_MERCHANTS = 5;
/** Guesses per user and match (design section 5). */
export const GUESSES_PER_MATCH = 3;
/** Both users' correct guesses appear on both cards. */
export const MAX_CONFIRMED_MERCHANTS = 2 * GUESSES_PER_MATCH;

/** A merchant as a card may name it: only revealed or game-confirmed ones, never an id. */
export const CardMerchantSchema = z.strictObject({
  name: z.string().min(1).max(200),
  category: z.enum(MERCHANT_CATEGORIES),
});
export type CardMerchant = z.infer<typeof CardMerchantSchema>;

/**
 * The daily match card of design section 5, and nothing else. Strict at every level: the route
 * uses it as its response schema, so a field added to a card without being declared here fails
 * serialization instead of reaching a client.
 */
export const MatchCardSchema = z
  .strictObject({
    matchId: z.guid(),
    matchDate: CalendarDateSchema,
    expiresAt: z.iso.datetime(),
    alias: z.string().min(1).max(60),
    ageBand: z.string().regex(/^\d{1,3}-\d{1,3}$/),
    gender: z.enum(GENDERS),
    city: z.string().min(1).max(100),
    verified: z.boolean(),
    score: z.int().min(0).max(100),
    reasons: z.strictObject({
      sharedMerchantCount: z.enum(SHARED_COUNT_BUCKETS),
      topSharedCategories: z.array(z.enum(MERCHANT_CATEGORIES)).max(MAX_TOP_CATEGORIES),
      crossedPaths: z.boolean(),
    }),
    revealedMerchants: z.array(CardMerchantSchema).max(MAX_REVEALED_MERCHANTS),
    guessGame: z.strictObject({
      enabled: z.boolean(),
      guessesLeft: z.int().min(0).max(GUESSES_PER_MATCH),
      confirmed: z.array(CardMerchantSchema).max(MAX_CONFIRMED_MERCHANTS),
    }),
    decision: z.enum(DECISION_STATES),
  })
  .meta({
    id: 'MatchCard',
    description: "Today's masked match: a pseudonym, bands and buckets, never an identity.",
  });

/** A card as served. */
export type MatchCard = z.infer<typeof MatchCardSchema>;
