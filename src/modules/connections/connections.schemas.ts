import { z } from 'zod';
import { CardMerchantSchema, MAX_REVEALED_MERCHANTS } from '../../core/masking/index.ts';
import { CalendarDateSchema } from '../../core/shared/calendar-date.ts';

const Side = z.strictObject({
  contactHandle: z.string(),
  reveals: z
    .array(CardMerchantSchema)
    .max(MAX_REVEALED_MERCHANTS)
    .describe('visible reveals: name and category'),
});

/**
 * A mutual like: the alias of the card, both contact handles and both sides' reveals (design
 * section 3). Strict: never an id, a display name or anything else of the other person.
 */
export const ConnectionView = z
  .strictObject({
    matchId: z.guid().describe('my card of that day'),
    matchDate: CalendarDateSchema,
    connectedAt: z.iso.datetime(),
    alias: z.string(),
    theirs: Side,
    mine: Side,
  })
  .meta({ id: 'Connection' });
export type ConnectionView = z.infer<typeof ConnectionView>;

export const ConnectionsView = z
  .strictObject({ connections: z.array(ConnectionView).describe('newest first') })
  .meta({ id: 'Connections' });
