import { describe, expect, it } from 'vitest';
import {
  INELIGIBILITY_REASONS,
  ineligibilityReason,
  isEligiblePair,
  type IneligibilityReason,
  type PairFacts,
  type PairingUser,
} from '../../../src/core/pairing/index.ts';
import { makeUser } from './population.ts';

const facts: PairFacts = { blocked: false, pairedRecently: false, sharedMerchants: 2, minSharedMerchants: 2 };
const A = makeUser({ id: 'a', gender: 'woman', seeking: ['man'], age: 30, ageMin: 25, ageMax: 35 });
const B = makeUser({ id: 'b', gender: 'man', seeking: ['woman'], age: 28, ageMin: 26, ageMax: 32 });

type Row = [
  string,
  Partial<PairingUser>,
  Partial<PairingUser>,
  Partial<PairFacts>,
  IneligibilityReason | null,
];

const table: Row[] = [
  ['the base pair is eligible', {}, {}, {}, null],
  ['one user with itself', {}, { id: 'a' }, {}, 'same_user'],
  ['a lacks transactions consent', { consentTransactions: false }, {}, {}, 'no_consent'],
  ['a lacks matching consent', { consentMatching: false }, {}, {}, 'no_consent'],
  ['b lacks transactions consent', {}, { consentTransactions: false }, {}, 'no_consent'],
  ['b lacks matching consent', {}, { consentMatching: false }, {}, 'no_consent'],
  ['a suspended', { suspended: true }, {}, {}, 'suspended'],
  ['b suspended', {}, { suspended: true }, {}, 'suspended'],
  ['different cities', {}, { city: 'Suzhou' }, {}, 'different_city'],
  ['city names compare exactly', {}, { city: 'hangzhou' }, {}, 'different_city'],
  ["b's gender not in a's seeking", { seeking: ['woman'] }, {}, {}, 'gender_not_sought'],
  ["a's gender not in b's seeking", {}, { seeking: ['nonbinary'] }, {}, 'gender_not_sought'],
  ['empty seeking matches nobody', { seeking: [] }, {}, {}, 'gender_not_sought'],
  ['seeking several genders', { seeking: ['nonbinary', 'man'] }, {}, {}, null],
  ['nonbinary both ways', { gender: 'nonbinary' }, { seeking: ['nonbinary'] }, {}, null],
  ["b younger than a's minimum", {}, { age: 24 }, {}, 'age_out_of_range'],
  ["b at a's minimum", { ageMin: 28 }, {}, {}, null],
  ["b older than a's maximum", { ageMax: 27 }, {}, {}, 'age_out_of_range'],
  ["b at a's maximum", { ageMax: 28 }, {}, {}, null],
  ["a younger than b's minimum", {}, { ageMin: 31 }, {}, 'age_out_of_range'],
  ["a older than b's maximum", {}, { ageMax: 29 }, {}, 'age_out_of_range'],
  ["a at b's bounds", {}, { ageMin: 30, ageMax: 30 }, {}, null],
  ['a wants verified, b is not', { onlyVerified: true }, { verified: false }, {}, 'verification_required'],
  ['a wants verified, b is', { onlyVerified: true }, { verified: true }, {}, null],
  ['b wants verified, a is not', { verified: false }, { onlyVerified: true }, {}, 'verification_required'],
  ['b wants verified, a is', { verified: true }, { onlyVerified: true }, {}, null],
  [
    'both want verified, neither is',
    { onlyVerified: true },
    { onlyVerified: true },
    {},
    'verification_required',
  ],
  ['blocked', {}, {}, { blocked: true }, 'blocked'],
  ['paired within the cooldown', {}, {}, { pairedRecently: true }, 'paired_recently'],
  ['fewer shared merchants than the minimum', {}, {}, { sharedMerchants: 1 }, 'too_few_shared_merchants'],
  ['no shared merchant', {}, {}, { sharedMerchants: 0, minSharedMerchants: 1 }, 'too_few_shared_merchants'],
  ['exactly the minimum', {}, {}, { sharedMerchants: 3, minSharedMerchants: 3 }, null],
  ['more than the minimum', {}, {}, { sharedMerchants: 9 }, null],
  ['verified alone is not required', { verified: false }, { verified: false }, {}, null],
];

describe('ineligibilityReason', () => {
  it.each(table)('%s', (_name, a, b, extra, expected) => {
    const userA = { ...A, ...a };
    const userB = { ...B, ...b };
    const pairFacts = { ...facts, ...extra };
    expect(ineligibilityReason(userA, userB, pairFacts)).toBe(expected);
    expect(ineligibilityReason(userB, userA, pairFacts)).toBe(expected);
    expect(isEligiblePair(userA, userB, pairFacts)).toBe(expected === null);
  });

  it('covers every reason in the table', () => {
    const covered = new Set(table.map((row) => row[4]));
    for (const reason of INELIGIBILITY_REASONS) expect(covered.has(reason)).toBe(true);
  });

  it('reports the first failing rule in the documented order', () => {
    const everythingWrong = ineligibilityReason(
      { ...A, consentMatching: false, suspended: true, city: 'Suzhou' },
      B,
      { ...facts, blocked: true },
    );
    expect(everythingWrong).toBe('no_consent');
    expect(ineligibilityReason({ ...A, suspended: true, city: 'Suzhou' }, B, facts)).toBe('suspended');
  });
});
