import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';

/**
 * The caller's pseudonymous user id, from the verified token's `sub`: the only source of "me".
 * Routes run `app.requireUser` first; this re-check keeps a route without the guard from ever
 * acting for nobody.
 */
export function callerId(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'user') throw new AppError(401, 'unauthenticated', 'a user token is required');
  return principal.userId;
}
