import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ensureDatabase, migrateToLatest } from '../../src/db/migrate.ts';

const SERVER_URL = process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
const TEMPLATE = 'kindred_test_template';

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

/** Drops databases left by earlier runs and migrates a fresh template. */
export async function recreateTemplateDatabase(): Promise<void> {
  await withAdminClient(async (client) => {
    const stale = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'kindred\\_test\\_%'",
    );
    for (const { datname } of stale.rows)
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
  await ensureDatabase(databaseUrl(TEMPLATE));
  await migrateToLatest(databaseUrl(TEMPLATE));
}

export type TestDatabase = { name: string; url: string; drop: () => Promise<void> };

/** A private, migrated database for one test file: a copy of the template, so files run in parallel. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `kindred_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE ${TEMPLATE}`));
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}
