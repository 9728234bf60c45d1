import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import { createDb, createPool } from './db/database.ts';
import type { Database } from './db/types.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type Metrics } from './modules/metrics/metrics-sink.ts';
import { closeRedis, createRedis, type Redis } from './redis.ts';
import { createPipelineQueues, type PipelineQueues } from './queue/producers.ts';

/**
 * The composition root shared by the API, the workers, the CLIs and the tests: one config, one
 * logger, one pg pool (and Kysely over it), one Redis client for rate limits and caches, one clock.
 */
export type Deps = {
  config: Config;
  log: Logger;
  pool: pg.Pool;
  db: Kysely<Database>;
  redis: Redis;
  clock: Clock;
  /** Producers of the pipeline queues (the API's manual run trigger). */
  queues: PipelineQueues;
  /** This process's Prometheus registry and the sinks features count into (served at `/metrics`). */
  metrics: Metrics;
};

export type DepsOverrides = { clock?: Clock; log?: Logger };

export function createDeps(config: Config, overrides: DepsOverrides = {}): Deps {
  const log = overrides.log ?? createLogger(config);
  const pool = createPool(
    {
      connectionString: config.DATABASE_URL,
      max: config.PG_POOL_MAX,
      statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    },
    log,
  );
  const db = createDb(pool);
  const redis = createRedis(config.REDIS_URL, log);
  const queues = createPipelineQueues(config, log, 'producer');
  const metrics = createMetrics();
  return { config, log, pool, db, redis, clock: overrides.clock ?? systemClock, queues, metrics };
}

/** Releases every connection; safe to call once per createDeps. */
export async function closeDeps(deps: Deps): Promise<void> {
  await Promise.allSettled([deps.db.destroy(), closeRedis(deps.redis), deps.queues.close()]);
}
