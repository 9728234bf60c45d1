import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createJwtVerifier,
  JwtError,
  signJwt,
  verifyJwt,
  type JwtSettings,
} from '../../../src/plugins/jwt.ts';

const settings: JwtSettings = {
  secret: 'a-test-secret-of-some-length',
  issuer: 'kindred',
  audience: 'kindred-api',
};
const start = new Date('2026-12-07T12:00:00Z');
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);

/** An HS256 token of any payload (signJwt sets no not-before). */
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const signed = (payload: Record<string, unknown>) => {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', settings.secret).update(input).digest('base64url')}`;
};
const seconds = Math.floor(start.getTime() / 1000);

/** Tokens valid for 60 s from `start`, one of another issuer, one of another secret, and tampered copies. */
const valid = ['ann', 'bob', 'cat'].map((sub) =>
  signJwt({ sub, role: 'user' }, settings, { now: start, ttlSeconds: 60 }),
);
const tokens = [
  ...valid,
  signed({
    sub: 'late',
    role: 'analyst',
    iss: 'kindred',
    aud: 'kindred-api',
    nbf: seconds + 100,
    exp: seconds + 160,
  }),
  signJwt(
    { sub: 'other', role: 'user' },
    { ...settings, issuer: 'elsewhere' },
    { now: start, ttlSeconds: 60 },
  ),
  signJwt(
    { sub: 'forged', role: 'admin' },
    { ...settings, secret: 'not-the-secret' },
    { now: start, ttlSeconds: 60 },
  ),
  ...valid.map((token) => `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`),
  'not.a.token',
];

/** The claims, or the reason of the refusal. */
const outcome = (verify: () => unknown): unknown => {
  try {
    return verify();
  } catch (error) {
    if (error instanceof JwtError) return { refused: error.reason };
    throw error;
  }
};

describe('the JWT verifier with a memory of accepted tokens', () => {
  it('answers every sequence of tokens and times exactly as verifyJwt does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: tokens.length - 1 }), fc.integer({ min: -120, max: 240 })),
          {
            maxLength: 60,
          },
        ),
        (capacity, uses) => {
          const verify = createJwtVerifier(settings, capacity);
          for (const [index, second] of uses) {
            const token = tokens[index] ?? '';
            expect(outcome(() => verify(token, at(second)))).toEqual(
              outcome(() => verifyJwt(token, settings, at(second))),
            );
          }
        },
      ),
    );
  });

  it('refuses a remembered token once it has expired, and before its not-before', () => {
    const verify = createJwtVerifier(settings);
    const token = valid[0] ?? '';
    expect(verify(token, at(10)).sub).toBe('ann');
    expect(outcome(() => verify(token, at(60 + 30)))).toEqual({ refused: 'expired' });
    const early = tokens[3] ?? '';
    expect(verify(early, at(100)).sub).toBe('late');
    expect(outcome(() => verify(early, start))).toEqual({ refused: 'not_yet_valid' });
  });

  it('gives claims that a caller cannot change for the next one', () => {
    const verify = createJwtVerifier(settings);
    const claims = verify(valid[1] ?? '', start);
    expect(() => Object.assign(claims, { role: 'admin' })).toThrow(TypeError);
    expect(verify(valid[1] ?? '', start).role).toBe('user');
  });
});
