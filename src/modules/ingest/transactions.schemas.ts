import { z } from 'zod';
import { PlatformId } from './platform-schemas.ts';

export const MAX_TRANSACTIONS_PER_BATCH = 5_000;

export const REJECTION_CODES = ['no_consent', 'unknown_merchant', 'out_of_window', 'in_future'] as const;
export type RejectionCode = (typeof REJECTION_CODES)[number];

export const TransactionInput = z.strictObject({
  transactionId: PlatformId,
  userId: PlatformId,
  merchantId: PlatformId,
  /** A JSON number only: a string such as "100" is refused, not coerced. */
  amountCents: z.int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code: three upper-case letters'),
  occurredAt: z.iso
    .datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset (Z or ±hh:mm)' })
    // Year 0 passes the ISO pattern but is outside the proleptic Gregorian range Postgres takes.
    .refine((value) => !value.startsWith('0000'), { message: 'year must be 0001 or later' }),
});
export type TransactionInput = z.infer<typeof TransactionInput>;

const TransactionList = z
  .array(TransactionInput)
  .min(1)
  .max(MAX_TRANSACTIONS_PER_BATCH)
  .superRefine((items, ctx) => {
    const firstIndex = new Map<string, number>();
    items.forEach((item, index) => {
      const first = firstIndex.get(item.transactionId);
      if (first === undefined) {
        firstIndex.set(item.transactionId, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: [index, 'transactionId'],
        message: `duplicate transactionId in this batch: items ${String(first)} and ${String(index)}`,
        params: { indices: [first, index] },
      });
    });
  });

export const TransactionBatch = z.strictObject({ transactions: TransactionList });
export type TransactionBatch = z.infer<typeof TransactionBatch>;

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string({ message: 'the Idempotency-Key header is required' })
    .regex(/^[\x20-\x7e]{1,255}$/, 'must be 1 to 255 printable ASCII characters'),
});

export const Rejection = z.object({
  index: z.int().min(0),
  transactionId: z.string(),
  code: z.enum(REJECTION_CODES),
});
export type Rejection = z.infer<typeof Rejection>;

export const IngestResult = z.object({
  accepted: z.int().min(0),
  duplicate: z.int().min(0),
  rejected: z.array(Rejection),
});
export type IngestResult = z.infer<typeof IngestResult>;
