import { z } from 'zod';
import { PlatformId } from '../ingest/platform-schemas.ts';

export const AttributesParams = z.strictObject({ userId: PlatformId });

/** Both flags, always: the platform owns them and sends their current state. */
export const AttributesBody = z.strictObject({
  verified: z.boolean(),
  trusted: z.boolean(),
});
export type AttributesBody = z.infer<typeof AttributesBody>;

export const UserAttributes = z.object({
  userId: z.string(),
  verified: z.boolean(),
  trusted: z.boolean(),
});
export type UserAttributes = z.infer<typeof UserAttributes>;
