import { z } from 'zod';

export const AdminSessionBody = z
  .strictObject({
    token: z
      .string()
      .min(1)
      .max(4096)
      .meta({ description: 'a JWT with role admin, as sent in `Authorization: Bearer`' }),
  })
  .meta({ description: 'The admin token to keep in the session cookie.' });
export type AdminSessionBody = z.infer<typeof AdminSessionBody>;
