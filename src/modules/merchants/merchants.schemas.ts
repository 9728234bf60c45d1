import { z } from 'zod';
import { MERCHANT_CATEGORIES } from '../../core/scoring/weight-set.ts';
import { PlatformId, storableText } from '../ingest/platform-schemas.ts';

export const MAX_MERCHANTS_PER_BATCH = 5_000;

/** A merchant as the platform describes it. A PUT replaces every field: an omitted city or position clears it. */
export const MerchantInput = z
  .strictObject({
    merchantId: PlatformId,
    name: storableText(1, 200),
    category: z.enum(MERCHANT_CATEGORIES),
    city: storableText(1, 100).optional(),
    lat: z.number().min(-90).max(90).optional(),
    lng: z.number().min(-180).max(180).optional(),
  })
  .refine((m) => (m.lat === undefined) === (m.lng === undefined), {
    message: 'lat and lng must be given together',
    path: ['lng'],
  });
export type MerchantInput = z.infer<typeof MerchantInput>;

const MerchantList = z
  .array(MerchantInput)
  .min(1)
  .max(MAX_MERCHANTS_PER_BATCH)
  .superRefine((items, ctx) => {
    const firstIndex = new Map<string, number>();
    items.forEach((item, index) => {
      const first = firstIndex.get(item.merchantId);
      if (first === undefined) {
        firstIndex.set(item.merchantId, index);
        return;
      }
      ctx.addIssue({
        code: 'custom',
        path: [index, 'merchantId'],
        message: `duplicate merchantId in this batch: items ${String(first)} and ${String(index)}`,
        params: { indices: [first, index] },
      });
    });
  });

export const MerchantBatch = z.strictObject({ merchants: MerchantList });
export type MerchantBatch = z.infer<typeof MerchantBatch>;

export const MerchantUpsertResult = z.object({
  created: z.int().min(0),
  updated: z.int().min(0),
  /** Sent again with every field equal to what is stored: nothing was written. */
  unchanged: z.int().min(0),
});
export type MerchantUpsertResult = z.infer<typeof MerchantUpsertResult>;
