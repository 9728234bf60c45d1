import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Database } from './types.ts';

// Keep `date` columns as 'YYYY-MM-DD' strings: a business date has no time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type DatabaseOptions = {
  connectionString: string;
  max?: number;
  statementTimeoutMs?: number;
  applicationName?: string;
};

/**
 * A pg pool whose failures are answers, not crashes: idle-client errors (a Postgres restart) are
 * logged and the client discarded; timeouts bound every wait, so requests fail fast with a 503.
 */
export function createPool(options: DatabaseOptions, log: Pick<Logger, 'warn'>): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: options.applicationName ?? 'kindred',
    // JIT compilation costs more than the short, index-driven queries of this service ever save.
    options: '-c jit=off',
  });
  pool.on('error', (error) => {
    log.warn(
      { err: { message: error.message, code: (error as { code?: string }).code } },
      'postgres idle client error',
    );
  });
  // The pool listens only to idle clients: a connection lost while a client is checked out but
  // between queries (a Kysely transaction, a COPY) would be an uncaught exception. The query in
  // flight, or the next one, fails on its own; the error itself is only logged here.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      log.warn(
        { err: { message: error.message, code: (error as { code?: string }).code } },
        'postgres client error',
      );
    });
  });
  return pool;
}

export type Db = Kysely<Database>;

export function createDb(pool: pg.Pool): Db {
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
