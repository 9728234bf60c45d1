import { z } from 'zod';
import { canonicalTimeZone } from '../users/local-day.ts';

export const GenderSchema = z.enum(['woman', 'man', 'nonbinary']);

/** No control characters (C0, DEL, C1) and not blank; anything else (any script, emoji) is kept as sent. */
const humanText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !/\p{Cc}/u.test(value), 'must not contain control characters')
    .refine((value) => value.trim().length > 0, 'must not be blank');

const Age = z.number().int().min(18).max(120);

/**
 * The body of `PUT /v1/me/profile`. Strict: an unknown field (a `userId`, say) is a 400, since the
 * user always comes from the token. The birth year's plausibility depends on today's date, so the
 * service checks it against the clock (18–120 years old this calendar year).
 */
export const ProfileInput = z
  .strictObject({
    displayName: humanText(100),
    birthYear: z.number().int().min(1900).max(2100),
    gender: GenderSchema,
    seeking: z
      .array(GenderSchema)
      .min(1)
      .max(3)
      .refine((list) => new Set(list).size === list.length, 'must not repeat a gender'),
    ageMin: Age,
    ageMax: Age,
    city: humanText(100),
    timezone: z
      .string()
      .max(64)
      .transform((name, ctx) => {
        const canonical = canonicalTimeZone(name);
        if (canonical === undefined) {
          ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as Asia/Shanghai' });
          return z.NEVER;
        }
        return canonical;
      }),
    contactHandle: humanText(200),
    onlyVerified: z.boolean(),
    allowGuessGame: z.boolean(),
  })
  .superRefine((profile, ctx) => {
    if (profile.ageMin > profile.ageMax) {
      ctx.addIssue({ code: 'custom', path: ['ageMin'], message: 'must not exceed ageMax' });
    }
  })
  .meta({ id: 'ProfileBody' });
export type ProfileInput = z.infer<typeof ProfileInput>;

export const ProfileView = z
  .object({
    displayName: z.string(),
    birthYear: z.number().int(),
    gender: GenderSchema,
    seeking: z.array(GenderSchema),
    ageMin: z.number().int(),
    ageMax: z.number().int(),
    city: z.string(),
    timezone: z.string(),
    contactHandle: z.string(),
    onlyVerified: z.boolean(),
    allowGuessGame: z.boolean(),
    updatedAt: z.date(),
  })
  .meta({ id: 'Profile' });
export type ProfileView = z.infer<typeof ProfileView>;
