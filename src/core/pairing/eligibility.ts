import type { PairingUser } from './types.ts';

/**
 * Why a pair is not eligible, one code per rule of design section 5, in the order they are
 * checked: the first failing rule is reported.
 */
export const INELIGIBILITY_REASONS = [
  'same_user',
  'no_consent',
  'suspended',
  'different_city',
  'gender_not_sought',
  'age_out_of_range',
  'verification_required',
  'blocked',
  'paired_recently',
  'too_few_shared_merchants',
] as const;

/** One code of {@link INELIGIBILITY_REASONS}. */
export type IneligibilityReason = (typeof INELIGIBILITY_REASONS)[number];

/** What a pair's eligibility needs beyond the two users' own attributes. */
export interface PairFacts {
  /** Either user blocked the other. */
  readonly blocked: boolean;
  /** They were paired within the weight set's `repeatCooldownDays`. */
  readonly pairedRecently: boolean;
  /** Non-stop merchants both bought from in the window. */
  readonly sharedMerchants: number;
  /** The weight set's minimum (1–10). */
  readonly minSharedMerchants: number;
}

/**
 * Whether a user may be paired with anybody at all today: both consents (`transactions` and
 * `matching`) held and not suspended.
 */
export function canBePaired(user: PairingUser): boolean {
  return user.consentTransactions && user.consentMatching && !user.suspended;
}

/**
 * The first rule of design section 5 that the pair (a, b) breaks, or `null` when it is eligible.
 * Symmetric: `ineligibilityReason(a, b, f) === ineligibilityReason(b, a, f)`.
 * Rules: distinct users; both hold `transactions` and `matching` consent; neither suspended; same
 * city; each one's gender in the other's `seeking`; each one's age in the other's [ageMin, ageMax];
 * `onlyVerified` respected both ways; not blocked either way; not paired within the cooldown;
 * `sharedMerchants ≥ minSharedMerchants`.
 */
export function ineligibilityReason(
  a: PairingUser,
  b: PairingUser,
  facts: PairFacts,
): IneligibilityReason | null {
  if (a.id === b.id) return 'same_user';
  if (!a.consentTransactions || !a.consentMatching || !b.consentTransactions || !b.consentMatching) {
    return 'no_consent';
  }
  if (a.suspended || b.suspended) return 'suspended';
  if (a.city !== b.city) return 'different_city';
  if (!a.seeking.includes(b.gender) || !b.seeking.includes(a.gender)) return 'gender_not_sought';
  if (b.age < a.ageMin || b.age > a.ageMax || a.age < b.ageMin || a.age > b.ageMax) {
    return 'age_out_of_range';
  }
  if ((a.onlyVerified && !b.verified) || (b.onlyVerified && !a.verified)) return 'verification_required';
  if (facts.blocked) return 'blocked';
  if (facts.pairedRecently) return 'paired_recently';
  if (!(facts.sharedMerchants >= facts.minSharedMerchants)) return 'too_few_shared_merchants';
  return null;
}

/** `ineligibilityReason(a, b, facts) === null`: the pair may be matched today. */
export function isEligiblePair(a: PairingUser, b: PairingUser, facts: PairFacts): boolean {
  return ineligibilityReason(a, b, facts) === null;
}
