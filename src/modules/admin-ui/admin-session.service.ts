import type { Clock } from '../../clock.ts';
import { AppError } from '../../errors.ts';
import { JwtError, verifyJwt, type JwtSettings, type UserClaims } from '../../plugins/jwt.ts';

type Deps = { jwt: JwtSettings; clock: Clock };

/** An admin session as the cookie holds it: the token itself, and when it stops being valid. */
export type AdminSession = { token: string; maxAgeSeconds: number };

/**
 * The admin session behind the queue dashboard. A browser cannot add a bearer header when it
 * navigates to a page, so the admin JWT is kept in an HttpOnly cookie; the cookie holds the token
 * unchanged (no second kind of credential, nothing stored server-side) and expires with it.
 */
export function createAdminSessionService({ jwt, clock }: Deps) {
  return {
    /** The claims of a valid token of any role, or null (bad signature, expired, malformed…). */
    claimsOf(token: string): UserClaims | null {
      try {
        return verifyJwt(token, jwt, clock.now());
      } catch (error) {
        if (error instanceof JwtError) return null;
        throw error;
      }
    },

    /** Opens a session for an admin token: 401 `invalid_credentials` for a bad one, 403 for another role. */
    open(token: string): AdminSession {
      const claims = this.claimsOf(token);
      if (claims === null) {
        throw new AppError(401, 'invalid_credentials', 'the token is invalid or expired', [
          { path: 'body.token', message: 'not a valid token' },
        ]);
      }
      if (claims.role !== 'admin') {
        throw new AppError(403, 'forbidden', 'the queue dashboard needs role admin', [
          { path: 'body.token', message: `role ${claims.role} is not admin` },
        ]);
      }
      const maxAgeSeconds = Math.max(0, claims.exp - Math.floor(clock.now().getTime() / 1000));
      return { token, maxAgeSeconds };
    },
  };
}

export type AdminSessionService = ReturnType<typeof createAdminSessionService>;
