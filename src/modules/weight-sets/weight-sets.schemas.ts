import { z } from 'zod';
import { WeightSetSchema } from '../../core/scoring/index.ts';

/** A bigint surrogate id as the API shows it: a decimal string. */
export const WeightSetId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'must be a positive integer id');

export const WeightSetIdParams = z.strictObject({ id: WeightSetId });

/** The body of POST /v1/analyst/weight-sets: `params` is parsed by the scoring core's schema. */
export const CreateWeightSetBody = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\p{L}\p{N} ._:/()+-]+$/u, 'letters, digits, spaces and . _ : / ( ) + - only'),
  params: WeightSetSchema,
  parentId: WeightSetId.optional().meta({
    description: 'the set this one derives from; defaults to the active set',
  }),
  note: z.string().trim().max(1000).optional(),
});
export type CreateWeightSetBody = z.infer<typeof CreateWeightSetBody>;

/** Weight-set parameters as stored: every field present (the defaults filled in at creation). */
const StoredParams = z.record(z.string(), z.unknown()).meta({
  description: 'the full weight set of design section 4, every field present',
});

export const WeightSetView = z
  .object({
    id: WeightSetId,
    name: z.string(),
    version: z.int(),
    parentId: WeightSetId.nullable(),
    params: StoredParams,
    note: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.date(),
    active: z.boolean(),
    runs: z.int().min(0).meta({ description: 'nightly runs that used this set' }),
  })
  .meta({ id: 'WeightSet' });
export type WeightSetView = z.infer<typeof WeightSetView>;

export const ParamChangeView = z.object({
  path: z.string().meta({ description: 'dotted path of the parameter, e.g. blend.overlap' }),
  old: z.unknown(),
  new: z.unknown(),
});

export const WeightSetList = z.object({ weightSets: z.array(WeightSetView) });

export const WeightSetDetail = z.object({
  weightSet: WeightSetView,
  parent: WeightSetView.nullable(),
  diff: z.array(ParamChangeView).meta({ description: 'changes from the parent; empty without a parent' }),
});
export type WeightSetDetail = z.infer<typeof WeightSetDetail>;

export const ActivationView = z.object({
  weightSet: WeightSetView,
  activatedAt: z.date(),
  changed: z.boolean().meta({ description: 'false when the set was already the active one' }),
});
export type ActivationView = z.infer<typeof ActivationView>;
