import { z } from 'zod';
import { MAX_REVEALED_MERCHANTS } from '../../core/masking/index.ts';

/** Why a merchant was not revealed. */
export const REVEAL_REFUSALS = ['unknown_merchant', 'not_purchased', 'not_k_anonymous', 'too_many'] as const;
export type RevealRefusal = (typeof REVEAL_REFUSALS)[number];

const MerchantId = z.string().min(1).max(128);

export const SetRevealsInput = z.strictObject({
  merchantIds: z
    .array(MerchantId)
    .max(50)
    .describe(
      `platform merchant ids in the order to show; at most ${String(MAX_REVEALED_MERCHANTS)} are kept, duplicates count once`,
    ),
});

export const RevealView = z
  .object({
    merchantId: z.string(),
    name: z.string(),
    category: z.string(),
    revealedAt: z.date(),
    visible: z
      .boolean()
      .describe('shown on cards now: still among my merchants of the scoring window and still k-anonymous'),
  })
  .meta({ id: 'Reveal' });

export const RevealsView = z
  .object({
    max: z.int().describe('at most this many reveals are kept'),
    reveals: z.array(RevealView),
  })
  .meta({ id: 'Reveals' });

export const SetRevealsView = z
  .object({
    max: z.int().describe('at most this many reveals are kept'),
    reveals: z.array(RevealView).describe('my reveals after the change'),
    refused: z
      .array(z.object({ merchantId: z.string(), reason: z.enum(REVEAL_REFUSALS) }))
      .describe(
        'each refused id with why: unknown_merchant, not_purchased (not mine in the window), not_k_anonymous (too few consenting customers), too_many (beyond the first 5 accepted)',
      ),
  })
  .meta({ id: 'SetReveals' });
