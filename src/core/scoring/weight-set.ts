import { z } from 'zod';

/** The 24 merchant categories of the API contract (design section 3), in contract order. */
export const MERCHANT_CATEGORIES = [
  'grocery',
  'convenience',
  'coffee',
  'tea',
  'restaurant',
  'fast_food',
  'bakery',
  'bar',
  'fashion',
  'beauty',
  'electronics',
  'books',
  'sports',
  'fitness',
  'entertainment',
  'travel',
  'transport',
  'pets',
  'kids',
  'home',
  'health',
  'education',
  'online',
  'other',
] as const;

/** One merchant category. */
export type MerchantCategory = (typeof MERCHANT_CATEGORIES)[number];

/** Tolerance on `blend` summing to 1. */
export const BLEND_SUM_TOLERANCE = 1e-9;

const BlendSchema = z
  .strictObject({
    overlap: z.number().min(0),
    coPresence: z.number().min(0),
    spendLevel: z.number().min(0),
  })
  .refine((b) => Math.abs(b.overlap + b.coPresence + b.spendLevel - 1) <= BLEND_SUM_TOLERANCE, {
    message: 'blend weights must sum to 1',
  });

/**
 * A scoring weight set (design section 4). Strict at every level: unknown keys are rejected.
 * Parsing `{}` yields the seed weight set; every field has the range of the design:
 * `windowDays` 1–4000, `idfExponent` 0–3, `recencyHalfLifeDays` 0–365 (0 = off),
 * `maxMerchantShare` (0, 1], `minSharedMerchants` 1–10, category weights 0–5 (missing = 1),
 * `coPresenceMinutes` 1–1440, `candidatePoolSize` 10–1000, `topK` 1–`candidatePoolSize`,
 * `repeatCooldownDays` 0–365, blend weights ≥ 0 summing to 1 (±1e-9).
 */
export const WeightSetSchema = z
  .strictObject({
    windowDays: z.int().min(1).max(4000).default(30),
    minAmountCents: z.int().min(0).default(100),
    visitTransform: z.enum(['log1p', 'binary', 'linear']).default('log1p'),
    idfExponent: z.number().min(0).max(3).default(1),
    recencyHalfLifeDays: z.number().min(0).max(365).default(0),
    maxMerchantShare: z.number().gt(0).max(1).default(0.05),
    minSharedMerchants: z.int().min(1).max(10).default(2),
    categoryWeights: z.partialRecord(z.enum(MERCHANT_CATEGORIES), z.number().min(0).max(5)).default({}),
    normalization: z.enum(['sqrt', 'cosine', 'none']).default('sqrt'),
    blend: BlendSchema.default({ overlap: 0.8, coPresence: 0.1, spendLevel: 0.1 }),
    coPresenceMinutes: z.int().min(1).max(1440).default(120),
    candidatePoolSize: z.int().min(10).max(1000).default(200),
    topK: z.int().min(1).default(50),
    repeatCooldownDays: z.int().min(0).max(365).default(90),
  })
  .superRefine((w, ctx) => {
    if (w.topK > w.candidatePoolSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['topK'],
        message: `topK must be at most candidatePoolSize (${String(w.candidatePoolSize)})`,
      });
    }
  });

/** A validated weight set, every field present. */
export type WeightSet = z.infer<typeof WeightSetSchema>;

/** The seed weight set: the defaults of design section 4 (`WeightSetSchema.parse({})`). */
export const DEFAULT_WEIGHT_SET: WeightSet = WeightSetSchema.parse({});

/** Visit transform `f(n)` of design section 4. */
export type VisitTransform = WeightSet['visitTransform'];

/** Normalization of `overlap` (design section 4). */
export type Normalization = WeightSet['normalization'];

/**
 * The weight of a category: `categoryWeights[c]` when set, else 1.
 * Returns one weight per index of {@link MERCHANT_CATEGORIES}.
 */
export function categoryWeightTable(weights: Pick<WeightSet, 'categoryWeights'>): Float64Array {
  const table = new Float64Array(MERCHANT_CATEGORIES.length);
  MERCHANT_CATEGORIES.forEach((c, i) => {
    table[i] = weights.categoryWeights[c] ?? 1;
  });
  return table;
}
