export { maskCard, MaskCardInputSchema } from './mask-card.ts';
export type { MaskCardInput } from './mask-card.ts';
export {
  CardMerchantSchema,
  GUESSES_PER_MATCH,
  MAX_CONFIRMED_MERCHANTS,
  MAX_REVEALED_MERCHANTS,
  MatchCardSchema,
} from './card-schema.ts';
export type { CardMerchant, MatchCard } from './card-schema.ts';
export { aliasFor } from './alias.ts';
export type { ViewerSide } from './alias.ts';
export {
  MAX_TOP_CATEGORIES,
  SHARED_COUNT_BUCKETS,
  ageBand,
  bucketSharedCount,
  displayScore,
  topSharedCategories,
} from './buckets.ts';
export type { SharedCountBucket, WeightedCategory } from './buckets.ts';
export { DECISION_STATES, decisionState } from './decision.ts';
export type { Decision, DecisionState } from './decision.ts';
