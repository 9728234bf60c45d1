import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type { Redis } from 'ioredis';

/**
 * A Redis client for rate limits and caches: commands fail fast (one retry, short connect
 * timeout) instead of queueing while Redis is down, so callers can answer 503 rather than hang.
 * BullMQ connections need `maxRetriesPerRequest: null` and are made by the queue module instead.
 */
export function createRedis(
  url: string,
  log: Pick<Logger, 'warn'>,
  options: { connectionName?: string } = {},
): Redis {
  const redis = new Redis(url, {
    connectTimeout: 1_000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: false,
    ...(options.connectionName === undefined ? {} : { connectionName: options.connectionName }),
  });
  let lastWarning = 0;
  redis.on('error', (error: Error & { code?: string }) => {
    // A down Redis emits an error per reconnect attempt: one line every 10 s is enough.
    const now = performance.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    log.warn({ err: { message: error.message, code: error.code } }, 'redis connection error');
  });
  return redis;
}

/** Closes a client whatever its state: QUIT when connected, a hard disconnect otherwise. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  redis.disconnect();
}
