import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';

/** The service client behind a request that passed `requireScope`; 401 if a route forgot the guard. */
export function clientIdOf(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal?.kind !== 'client') {
    throw new AppError(401, 'unauthenticated', 'send Authorization: Bearer <API key>');
  }
  return principal.clientId;
}
