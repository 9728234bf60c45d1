import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildApp } from '../../src/app.ts';
import type { Clock } from '../../src/clock.ts';
import { parseConfig, type Config } from '../../src/config.ts';
import { closeDeps, createDeps, type Deps } from '../../src/deps.ts';
import type { Database } from '../../src/db/types.ts';
import { createLogger } from '../../src/logger.ts';
import {
  createApiClientRepository,
  type ApiScope,
} from '../../src/modules/api-clients/api-clients.repository.ts';
import { signJwt, type Role } from '../../src/plugins/jwt.ts';
import { createTestDatabase } from './database.ts';

/** The configuration every test app starts from: test mode, development JWT secret. */
export const testConfig = (overrides: Partial<Config> = {}): Config => ({
  ...parseConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }),
  ...overrides,
});

export type TestApp = {
  app: FastifyInstance;
  deps: Deps;
  db: Kysely<Database>;
  /** Every log line written so far (JSON strings), for privacy assertions. */
  logs: string[];
  /** Closes the app and its connections, deletes its rate-limit counters and drops its database. */
  close: () => Promise<void>;
};

/**
 * A full app on a private database (cloned from the migrated template) and a private rate-limit
 * namespace, logging into `logs`.
 */
export async function createTestApp(
  options: { clock?: Clock; config?: Partial<Config> } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = testConfig({ DATABASE_URL: database.url, ...options.config });
  const logs: string[] = [];
  const log = createLogger(config, {
    write: (chunk: string) => {
      for (const line of chunk.split('\n')) if (line !== '') logs.push(line);
    },
  });
  const deps = createDeps(config, { log, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  const nameSpace = `kindred:test:rl:${randomUUID()}:`;
  let app: FastifyInstance;
  try {
    app = await buildApp(deps, { rateLimitNameSpace: nameSpace });
  } catch (error) {
    await closeDeps(deps);
    await database.drop();
    throw error;
  }
  return {
    app,
    deps,
    db: deps.db,
    logs,
    close: async () => {
      await app.close();
      if (deps.redis.status === 'ready') {
        const keys = await deps.redis.keys(`${nameSpace}*`);
        if (keys.length > 0) await deps.redis.del(...keys);
      }
      await closeDeps(deps);
      await database.drop();
    },
  };
}

/** A JWT as the platform would mint it, signed with the test configuration's secret. */
export function userToken(
  sub: string,
  role: Role = 'user',
  opts: { ttlSeconds?: number; now?: Date; config?: Partial<Config> } = {},
): string {
  const config = testConfig(opts.config);
  return signJwt(
    { sub, role },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    { now: opts.now ?? new Date(), ttlSeconds: opts.ttlSeconds ?? 3600 },
  );
}

/** `{ authorization: 'Bearer …' }` for inject(). */
export const bearer = (credential: string): { authorization: string } => ({
  authorization: `Bearer ${credential}`,
});

/** Creates a service client; returns its one-time key and its internal id. */
export async function createApiKey(
  db: Kysely<Database>,
  name: string,
  scopes: ApiScope[] = ['ingest'],
): Promise<{ key: string; clientId: string }> {
  const { client, key } = await createApiClientRepository(db).create({ name, scopes });
  return { key, clientId: client.id };
}
