import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';

export type QueueConfig = Pick<Config, 'REDIS_URL' | 'QUEUE_PREFIX'>;

/**
 * A Redis connection for BullMQ. Workers (and anything that blocks) need
 * `maxRetriesPerRequest: null` so that a command waits through a Redis restart instead of
 * throwing; producers used by the API keep a bounded retry so that an HTTP request fails fast.
 * The queue prefix (default `{kindred}`) is a hash tag: every key of every queue hashes to one
 * slot, which BullMQ needs on Redis Cluster.
 */
export function createQueueConnection(
  config: QueueConfig,
  log: Pick<Logger, 'warn'>,
  role: 'worker' | 'producer',
): Redis {
  const redis = new Redis(config.REDIS_URL, {
    maxRetriesPerRequest: role === 'worker' ? null : 2,
    enableReadyCheck: role === 'worker',
    retryStrategy: (attempt: number) => Math.min(attempt * 250, 2_000),
  });
  let lastWarning = 0;
  redis.on('error', (error: Error & { code?: string }) => {
    const now = performance.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    log.warn({ err: { message: error.message, code: error.code }, role }, 'queue redis connection error');
  });
  return redis;
}
