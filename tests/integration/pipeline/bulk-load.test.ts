import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, createPool, type Db } from '../../../src/db/database.ts';
import { createTransactionRepository } from '../../../src/modules/ingest/transactions.repository.ts';
import { bulkLoadTransactions } from '../../../src/modules/pipeline/bulk-transactions.ts';
import { loadPopulation } from '../../../src/modules/pipeline/population-loader.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { population } from './harness.ts';

/**
 * The population loader's bulk path (drop keys and indexes, COPY FREEZE per partition, rebuild)
 * must leave the database exactly as the ingest endpoint would: the same transactions rows in the
 * same partitions, their ids in `transaction_ids`, and the same keys, constraints and indexes.
 * The reference database gets the same users and merchants, then every line of transactions.csv
 * through the ingest repository in batches.
 */
type Env = { database: TestDatabase; pool: pg.Pool; db: Db };
const log = pino({ level: 'silent' });
let bulk: Env;
let ingested: Env;
let bulkCount = 0;
const dir = population(200, 11);

async function open(): Promise<Env> {
  const database = await createTestDatabase();
  const pool = createPool({ connectionString: database.url, max: 4 }, log);
  return { database, pool, db: createDb(pool) };
}

beforeAll(async () => {
  bulk = await open();
  ingested = await open();
  const counts = await loadPopulation(bulk.pool, dir);
  bulkCount = counts.transactions;

  // The reference: the same population without transactions, then ingest.
  const noTx = mkdtempSync(join(tmpdir(), 'kindred-notx-'));
  for (const f of ['merchants.csv', 'profiles.jsonl']) copyFileSync(join(dir, f), join(noTx, f));
  const csv = readFileSync(join(dir, 'transactions.csv'), 'utf8').split('\n');
  writeFileSync(join(noTx, 'transactions.csv'), `${csv[0] ?? ''}\n`);
  await loadPopulation(ingested.pool, noTx);
  rmSync(noTx, { recursive: true });
  const { rows } = await sql<{
    id: string;
  }>`SELECT id FROM api_clients WHERE name = 'synthetic-population'`.execute(ingested.db);
  const repo = createTransactionRepository(ingested.db);
  const lines = csv.slice(1).filter((l) => l.length > 0);
  for (let i = 0; i < lines.length; i += 5_000) {
    const items = lines.slice(i, i + 5_000).map((l) => {
      const [transactionId, userId, merchantId, amount, currency, occurredAt] = l.split(',');
      return {
        transactionId: transactionId!,
        userId: `u${userId!}`,
        merchantId: `m${merchantId!}`,
        amountCents: Number(amount),
        currency: currency!,
        occurredAt: occurredAt!,
      };
    });
    const { result } = await repo.ingest({
      clientId: rows[0]!.id,
      items,
      now: new Date('2026-11-22T00:00:00Z'),
    });
    expect(result.rejected).toEqual([]);
  }
}, 120_000);

afterAll(async () => {
  for (const env of [bulk, ingested]) {
    await env.db.destroy();
    await env.database.drop();
  }
});

const digest = async (db: Db, query: ReturnType<typeof sql<{ n: number; h: string }>>) =>
  (await query.execute(db)).rows[0];

describe('bulk load of transactions', () => {
  it('stores the rows ingest stores, in the same partitions, with their ids registered', async () => {
    const transactions = sql<{ n: number; h: string }>`
      SELECT count(*)::int AS n,
             md5(string_agg(concat_ws(' ', t.tableoid::regclass, u.external_id, c.name, t.transaction_id,
                                      m.external_id, t.amount_cents, t.currency, t.occurred_at),
                            ',' ORDER BY t.transaction_id)) AS h
      FROM transactions t JOIN users u ON u.id = t.user_id JOIN merchants m ON m.id = t.merchant_id
      JOIN api_clients c ON c.id = t.client_id`;
    const ids = sql<{ n: number; h: string }>`
      SELECT count(*)::int AS n, md5(string_agg(c.name || ' ' || i.transaction_id, ',' ORDER BY i.transaction_id)) AS h
      FROM transaction_ids i JOIN api_clients c ON c.id = i.client_id`;
    const a = await digest(bulk.db, transactions);
    expect(a?.n).toBe(bulkCount);
    expect(bulkCount).toBeGreaterThan(10_000);
    expect(a).toEqual(await digest(ingested.db, transactions));
    expect(await digest(bulk.db, ids)).toEqual(await digest(ingested.db, ids));
    expect((await digest(bulk.db, ids))?.n).toBe(bulkCount);
  });

  it('ends with the same keys, constraints and indexes (names and definitions), all valid', async () => {
    const catalog = sql<{ n: number; h: string }>`
      WITH rels AS (
        SELECT c.oid FROM pg_class c
        WHERE c.relname IN ('transactions', 'transaction_ids') OR c.relname LIKE 'transactions\\_p%'
      )
      SELECT count(*)::int AS n, string_agg(line, E'\\n' ORDER BY line) AS h FROM (
        SELECT 'index ' || pg_get_indexdef(x.indexrelid) || ' valid=' || x.indisvalid::text AS line
        FROM pg_index x WHERE x.indrelid IN (SELECT oid FROM rels)
        UNION ALL
        SELECT 'constraint ' || k.conname || ' ' || pg_get_constraintdef(k.oid) || ' ' || k.convalidated::text
        FROM pg_constraint k WHERE k.conrelid IN (SELECT oid FROM rels)
      ) s`;
    const a = await digest(bulk.db, catalog);
    expect(a).toEqual(await digest(ingested.db, catalog));
    // 8 partitions × 4 indexes + the parent's 4, the registry's key, and their constraints
    expect(a?.n).toBeGreaterThan(40);
    expect(a?.h).toContain('transactions_user_time_idx');
    expect(a?.h).not.toContain('valid=false');
  });

  it('refuses tables that already hold rows (it truncates what it loads)', async () => {
    const ids = { clientId: '1', userIds: new Map<number, string>(), merchantIds: new Map<number, string>() };
    await expect(bulkLoadTransactions(bulk.pool, join(dir, 'transactions.csv'), ids)).rejects.toThrow(
      /needs empty/,
    );
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM transactions`.execute(bulk.db);
    expect(rows[0]?.n).toBe(bulkCount);
  });
});
