import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Redis } from '../redis.ts';

/**
 * The counter key: the authenticated principal when there is one (a user shares one budget across
 * devices, a client across its servers), the client address otherwise.
 */
export const rateLimitKey = (request: FastifyRequest): string => {
  const principal = request.principal;
  if (principal?.kind === 'user') return `u:${principal.userId}`;
  if (principal?.kind === 'client') return `c:${principal.clientId}`;
  return `ip:${request.ip}`;
};

export type RateLimitOptions = { nameSpace: string };

/**
 * A global per-minute limit on Redis, overridable per route with `config.rateLimit` (or `false`
 * to exempt a route). Fail closed: `skipOnError: false`, so when Redis cannot count, the store's
 * error reaches the error handler, which answers 503 instead of letting traffic through unlimited.
 */
export async function registerRateLimit(
  app: FastifyInstance,
  deps: { config: Pick<Config, 'RATE_LIMIT_MAX'>; redis: Redis },
  options: RateLimitOptions,
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: deps.config.RATE_LIMIT_MAX,
    timeWindow: 60_000,
    redis: deps.redis,
    nameSpace: options.nameSpace,
    skipOnError: false,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_request, context) =>
      new AppError(context.statusCode, 'rate_limited', `too many requests, retry in ${context.after}`),
  });
}
