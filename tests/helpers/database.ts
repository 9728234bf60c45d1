import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { ensureDatabase, migrateToLatest } from '../../src/db/migrate.ts';

const SERVER_URL = process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * Test databases are named `kindred_t<pid>_<run>_<suffix>` after the process and the global setup
 * that made them, so that two test runs (or two projects of one run) on one machine never drop each
 * other's databases, and a crashed run's leftovers are dropped by a later run once its process is gone.
 */
const PREFIX = 'kindred_t';
const NAME = /^kindred_t(\d+)_([a-z0-9]+)_[a-z0-9]+$/;

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export const databaseUrl = (name: string): string => `${SERVER_URL}/${name}`;

async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function dropDatabases(select: (pid: number, run: string) => boolean): Promise<void> {
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [PREFIX],
    );
    for (const { datname } of rows) {
      const match = NAME.exec(datname);
      if (match !== null && select(Number(match[1]), match[2] ?? '')) {
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
  });
}

/** Drops the leftovers of dead runs and migrates this run's template; returns its name. */
export async function createTemplateDatabase(): Promise<{ name: string; dropAll: () => Promise<void> }> {
  await dropDatabases((pid) => !isAlive(pid));
  const run = randomUUID().replaceAll('-', '').slice(0, 8);
  const name = `${PREFIX}${process.pid}_${run}_template`;
  await ensureDatabase(databaseUrl(name));
  await migrateToLatest(databaseUrl(name));
  return { name, dropAll: () => dropDatabases((pid, dbRun) => pid === process.pid && dbRun === run) };
}

export type TestDatabase = { name: string; url: string; drop: () => Promise<void> };

/** A private, migrated database for one test file: a copy of the run's template, so files run in parallel. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabase');
  const name = `${template.replace(/_template$/, '')}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
