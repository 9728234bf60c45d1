import { z } from 'zod';
import { ConsentPurposeSchema } from '../consents/consents.schemas.ts';
import { ProfileView } from '../profile/profile.schemas.ts';

/** A merchant category of the contract (validated on ingest; the column's CHECK holds the list). */
const Category = z.string();
const CalendarDate = z.iso.date();

export const NOT_REVEALABLE_REASON = 'too_few_customers' as const;

export const OwnMerchantView = z
  .object({
    merchantId: z.string(),
    name: z.string(),
    category: Category,
    visits: z.number().int(),
    lastVisitAt: z.date(),
    revealable: z.boolean(),
    reason: z
      .literal(NOT_REVEALABLE_REASON)
      .optional()
      .describe('why it may not be revealed: fewer consenting customers than the k-anonymity threshold'),
  })
  .meta({ id: 'OwnMerchant' });

export const OwnMerchantsView = z
  .object({
    windowDays: z.number().int(),
    since: CalendarDate.describe('first day of the window, in my time zone'),
    timezone: z.string(),
    merchants: z.array(OwnMerchantView).describe('most visited first'),
  })
  .meta({ id: 'OwnMerchants' });

/** The export carries the profile exactly as `GET /v1/me/profile` shows it (seeking included: it is the user's own). */
const ExportProfile = ProfileView;

/**
 * Everything held about the caller (right of access). Other people appear in it only as the
 * caller saw them: a match's alias; never another user's id. Blocks and reports made say when
 * (and for reports, about which of my own matches), never whom.
 */
export const DataExportView = z
  .object({
    exportedAt: z.date(),
    user: z.object({
      userId: z.string(),
      createdAt: z.date().nullable().describe('null when nothing is held about me'),
      suspended: z.boolean(),
    }),
    attributes: z
      .object({ verified: z.boolean(), trusted: z.boolean() })
      .describe('set by the payment platform; used only as eligibility filters'),
    profile: ExportProfile.nullable(),
    consentEvents: z.array(
      z.object({
        purpose: ConsentPurposeSchema,
        action: z.enum(['grant', 'withdraw']),
        policyVersion: z.string(),
        at: z.date(),
      }),
    ),
    transactions: z.array(
      z.object({
        transactionId: z.string(),
        merchantId: z.string(),
        merchantName: z.string(),
        category: Category,
        amountCents: z.number().int(),
        currency: z.string(),
        occurredAt: z.date(),
        receivedAt: z.date(),
      }),
    ),
    reveals: z.array(
      z.object({ merchantId: z.string(), name: z.string(), category: Category, revealedAt: z.date() }),
    ),
    candidatePools: z
      .array(z.object({ runDate: CalendarDate, candidates: z.number().int() }))
      .describe('how many candidates each nightly run kept for me; never who'),
    matches: z.array(
      z.object({
        matchId: z.uuid(),
        matchDate: CalendarDate,
        alias: z.string(),
        score: z.number().int(),
        sharedMerchantCount: z.enum(['2', '3-4', '5+']),
        topSharedCategories: z.array(Category),
        crossedPaths: z.boolean(),
        endedAt: z.date().nullable(),
        endedReason: z.enum(['passed', 'blocked', 'reported', 'consent_withdrawn', 'deleted']).nullable(),
        createdAt: z.date(),
      }),
    ),
    decisions: z.array(
      z.object({ matchId: z.uuid(), decision: z.enum(['like', 'pass']), decidedAt: z.date() }),
    ),
    guesses: z.array(
      z.object({
        matchId: z.uuid(),
        merchantId: z.string(),
        merchantName: z.string(),
        category: Category,
        correct: z.boolean(),
        guessedAt: z.date(),
      }),
    ),
    blocksMade: z.array(z.object({ blockedAt: z.date() })),
    reportsMade: z.array(
      z.object({ matchId: z.uuid(), reason: z.string(), note: z.string().nullable(), reportedAt: z.date() }),
    ),
  })
  .meta({ id: 'DataExport' });
export type DataExportView = z.infer<typeof DataExportView>;
