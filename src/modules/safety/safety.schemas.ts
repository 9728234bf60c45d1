import { z } from 'zod';
import { REPORT_REASONS } from './safety.repository.ts';

const MatchIdField = z
  .guid()
  .optional()
  .describe("one of my matches (any day, e.g. a connection); today's match when omitted");

export const BlockInput = z.strictObject({ matchId: MatchIdField });
export const BlockView = z.strictObject({ blocked: z.literal(true) }).meta({ id: 'Block' });

export const ReportInput = z.strictObject({
  reason: z.enum(REPORT_REASONS),
  note: z.string().trim().min(1).max(1000).optional().describe('kept for moderators, never logged'),
  matchId: MatchIdField,
});
export const ReportView = z.strictObject({ reported: z.literal(true) }).meta({ id: 'Report' });

export const ReinstateParams = z.object({ userId: z.string().min(1).max(128) });
export const ReinstateView = z
  .strictObject({
    reinstated: z.boolean().describe('false when the user was not suspended (nothing changed)'),
    suspended: z.literal(false),
  })
  .meta({ id: 'Reinstatement' });
