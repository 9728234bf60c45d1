import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * HS256 JSON Web Tokens, with the algorithm pinned: the header must say exactly
 * `{"alg":"HS256"}` (plus an optional `typ: JWT`), so `alg: none` and every other algorithm are
 * refused before any signature is checked.
 */

export const ROLES = ['user', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const UserClaims = z.object({
  sub: z.string().min(1).max(128),
  role: z.enum(ROLES),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  nbf: z.number().int().optional(),
});
export type UserClaims = z.infer<typeof UserClaims>;

const Header = z.object({ alg: z.literal('HS256'), typ: z.literal('JWT').optional() }).strict();

export type JwtSettings = { secret: string; issuer: string; audience: string };

export class JwtError extends Error {
  constructor(readonly reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'JwtError';
  }
}

const CLOCK_TOLERANCE_SECONDS = 30;

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const sign = (input: string, secret: string): Buffer => createHmac('sha256', secret).update(input).digest();

const decodeJson = (part: string): unknown => {
  if (!/^[A-Za-z0-9_-]*$/.test(part)) throw new JwtError('malformed');
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    throw new JwtError('malformed');
  }
};

/** Signs `sub`/`role` with `iss`, `aud`, `iat` and `exp = now + ttlSeconds`. */
export function signJwt(
  claims: { sub: string; role: Role },
  settings: JwtSettings,
  options: { now: Date; ttlSeconds: number },
): string {
  const iat = Math.floor(options.now.getTime() / 1000);
  const payload = {
    sub: claims.sub,
    role: claims.role,
    iss: settings.issuer,
    aud: settings.audience,
    iat,
    exp: iat + options.ttlSeconds,
  };
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${input}.${sign(input, settings.secret).toString('base64url')}`;
}

/** Verifies signature, algorithm, issuer, audience, expiry and not-before; returns the claims. */
export function verifyJwt(token: string, settings: JwtSettings, now: Date): UserClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed');
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  if (!Header.safeParse(decodeJson(headerPart)).success) throw new JwtError('algorithm');
  if (!/^[A-Za-z0-9_-]+$/.test(signaturePart)) throw new JwtError('signature');
  const expected = sign(`${headerPart}.${payloadPart}`, settings.secret);
  const actual = Buffer.from(signaturePart, 'base64url');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new JwtError('signature');
  }
  const parsed = UserClaims.safeParse(decodeJson(payloadPart));
  if (!parsed.success) throw new JwtError('claims');
  const claims = parsed.data;
  if (claims.iss !== settings.issuer) throw new JwtError('issuer');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(settings.audience)) throw new JwtError('audience');
  checkTimes(claims, now);
  return claims;
}

/** Expiry and not-before at `now`, with the clock tolerance. */
function checkTimes(claims: UserClaims, now: Date): void {
  const seconds = Math.floor(now.getTime() / 1000);
  if (claims.exp <= seconds - CLOCK_TOLERANCE_SECONDS) throw new JwtError('expired');
  if (claims.nbf !== undefined && claims.nbf > seconds + CLOCK_TOLERANCE_SECONDS) {
    throw new JwtError('not_yet_valid');
  }
}

/**
 * {@link verifyJwt} with a bounded memory of the tokens it has accepted. Everything but the time
 * checks (algorithm, signature, claims, issuer, audience) is a function of the token's bytes and
 * the fixed settings, so a token accepted before skips them; its expiry and not-before are checked
 * again at every use. Refused tokens are not remembered. The oldest accepted token leaves first.
 * Under load on the card, verifying was about a tenth of the API's CPU (bench/RESULTS.md).
 */
export function createJwtVerifier(
  settings: JwtSettings,
  capacity = 20_000,
): (token: string, now: Date) => UserClaims {
  const accepted = new Map<string, Readonly<UserClaims>>();
  return (token, now) => {
    const known = accepted.get(token);
    if (known !== undefined) {
      checkTimes(known, now);
      return known;
    }
    const claims = Object.freeze(verifyJwt(token, settings, now));
    if (accepted.size >= capacity) {
      const oldest = accepted.keys().next();
      if (oldest.done !== true) accepted.delete(oldest.value);
    }
    accepted.set(token, claims);
    return claims;
  };
}
