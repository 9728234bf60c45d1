import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config.ts';
import { ROLES, signJwt } from '../src/plugins/jwt.ts';

/**
 * npm run token -- --sub U --role user|analyst|admin [--ttl 1h]
 * Prints a JWT signed with the configured secret, issuer and audience (for development and demos).
 */
const USAGE = 'usage: npm run token -- --sub <user id> --role user|analyst|admin [--ttl 30m|1h|7d|3600]';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

const Ttl = z
  .string()
  .regex(/^\d+[smhd]?$/, 'a number of seconds or 30m, 1h, 7d')
  .transform((text) => {
    const unit = /[smhd]$/.test(text) ? text.slice(-1) : 's';
    return Number.parseInt(text, 10) * (UNIT_SECONDS[unit] ?? 1);
  })
  .pipe(
    z
      .number()
      .int()
      .positive()
      .max(366 * 86_400),
  );

const Args = z.object({
  sub: z.string().min(1).max(128),
  role: z.enum(ROLES),
  ttl: Ttl.default(3600),
});

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let values: Record<string, unknown>;
try {
  values = parseArgs({
    options: { sub: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string' } },
    strict: true,
  }).values;
} catch (error) {
  fail((error as Error).message);
}
const parsed = Args.safeParse(values);
if (!parsed.success) {
  fail(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
}
const config = loadConfig();
const token = signJwt(
  { sub: parsed.data.sub, role: parsed.data.role },
  { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
  { now: new Date(), ttlSeconds: parsed.data.ttl },
);
process.stdout.write(`${token}\n`);
