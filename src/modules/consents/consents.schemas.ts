import { z } from 'zod';

export const ConsentPurposeSchema = z.enum(['transactions', 'matching']);

export const GrantConsentInput = z
  .strictObject({
    purpose: ConsentPurposeSchema,
    policyVersion: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/,
        'must be 1–50 letters, digits, dots, dashes or underscores',
      ),
  })
  .meta({ id: 'ConsentGrantBody' });

export const ConsentPurposeParams = z.strictObject({ purpose: ConsentPurposeSchema });

export const ConsentPeriodView = z
  .object({
    purpose: ConsentPurposeSchema,
    policyVersion: z.string(),
    grantedAt: z.date(),
    withdrawnAt: z.date().nullable(),
    supersededAt: z.date().nullable().describe('when a grant of a newer policy version replaced this one'),
  })
  .meta({ id: 'ConsentPeriod' });

export const ConsentLedgerView = z
  .object({ consents: z.array(ConsentPeriodView).describe('one entry per grant period, newest first') })
  .meta({ id: 'ConsentLedger' });

export const DeletedCounts = z
  .object({
    transactions: z.number().int(),
    features: z.number().int().describe('per-run features aggregated from the transactions'),
    candidates: z.number().int().describe('own candidate pools'),
    candidateEntries: z.number().int().describe("other users' pools this user was taken out of"),
    runSnapshots: z.number().int().describe('eligibility snapshots of runs'),
    pairs: z.number().int().describe('pairs of runs not yet published'),
    reveals: z.number().int(),
    guesses: z.number().int(),
  })
  .meta({ id: 'DeletedCounts' });

export const WithdrawalView = z
  .object({
    purpose: ConsentPurposeSchema,
    withdrawnAt: z.date(),
    deleted: DeletedCounts,
    endedMatches: z.number().int().describe("today's and later matches ended, for both sides"),
  })
  .meta({ id: 'ConsentWithdrawal' });
