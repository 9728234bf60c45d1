import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import type pg from 'pg';
import { createDb, createPool, type Db } from '../../../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

export type Harness = { database: TestDatabase; pool: pg.Pool; db: Db; close: () => Promise<void> };

export const silentLog = pino({ level: 'silent' });

/** A private database with a Kysely instance over it. */
export async function openHarness(): Promise<Harness> {
  const database = await createTestDatabase();
  const pool = createPool({ connectionString: database.url, max: 4 }, silentLog);
  const db = createDb(pool);
  return {
    database,
    pool,
    db,
    close: async () => {
      await db.destroy();
      await database.drop();
    },
  };
}

export async function insertClient(db: Db, name: string): Promise<string> {
  const row = await db
    .insertInto('api_clients')
    .values({ name, key_hash: randomBytes(32), key_prefix: name.slice(0, 8), scopes: ['ingest'] })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function insertMerchant(db: Db, externalId: string): Promise<string> {
  const row = await db
    .insertInto('merchants')
    .values({ external_id: externalId, name: `Shop ${externalId}`, category: 'coffee' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A user with the given consent history for `transactions`, oldest first. */
export async function insertUser(
  db: Db,
  externalId: string,
  history: ('grant' | 'withdraw')[] = ['grant'],
): Promise<string> {
  const row = await db
    .insertInto('users')
    .values({ external_id: externalId })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const action of history) await consent(db, row.id, action);
  return row.id;
}

export async function consent(db: Db, userId: string, action: 'grant' | 'withdraw'): Promise<void> {
  await db
    .insertInto('consent_events')
    .values({ user_id: userId, purpose: 'transactions', action, policy_version: '2026-01' })
    .execute();
}

export async function count(
  db: Db,
  table: 'transactions' | 'transaction_ids' | 'merchants' | 'users' | 'idempotency_records',
): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  return rows[0]?.n ?? 0;
}
