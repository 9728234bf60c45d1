export { pairUsers } from './pair-users.ts';
export { INELIGIBILITY_REASONS, canBePaired, ineligibilityReason, isEligiblePair } from './eligibility.ts';
export type { IneligibilityReason, PairFacts } from './eligibility.ts';
export { pairTieHash, userDayHash } from './compiled-users.ts';
export { PairingOptionsSchema } from './types.ts';
export type {
  CandidateList,
  IndexPair,
  MatchedPair,
  PairingInput,
  PairingOptions,
  PairingOptionsInput,
  PairingResult,
  PairingStats,
  PairingUser,
} from './types.ts';
