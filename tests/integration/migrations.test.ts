import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

const expectViolation = async (text: string, values: unknown[], code: string) => {
  await expect(client.query(text, values)).rejects.toMatchObject({ code });
};

describe('schema constraints', () => {
  it('seeds the default weight set and activates it', async () => {
    const { rows } = await client.query<{ params: Record<string, unknown> }>(
      `SELECT w.params FROM weight_set_activations a JOIN weight_sets w ON w.id = a.weight_set_id
       ORDER BY a.id DESC LIMIT 1`,
    );
    expect(rows[0]?.params).toMatchObject({
      windowDays: 30,
      candidatePoolSize: 200,
      topK: 50,
      normalization: 'sqrt',
    });
  });

  it('partitions the tables that grow with users by hash of user id', async () => {
    const { rows } = await client.query<{ relname: string; strategy: string }>(
      `SELECT c.relname, p.partstrat AS strategy FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid
       ORDER BY c.relname`,
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        { relname: 'candidates', strategy: 'h' },
        { relname: 'matches', strategy: 'h' },
        { relname: 'transactions', strategy: 'h' },
      ]),
    );
  });

  it('rejects invalid amounts, enums, duplicate matches and updates of append-only tables', async () => {
    const user = await client.query<{ id: string }>(
      "INSERT INTO users (external_id) VALUES ('u1') RETURNING id",
    );
    const userId = user.rows[0]?.id;
    const merchant = await client.query<{ id: string }>(
      "INSERT INTO merchants (external_id, name, category) VALUES ('m1', 'Corner', 'coffee') RETURNING id",
    );
    const client1 = await client.query<{ id: string }>(
      "INSERT INTO api_clients (name, key_hash, key_prefix, scopes) VALUES ('p', decode(repeat('ab', 32), 'hex'), 'kdk_', '{ingest}') RETURNING id",
    );
    const tx = `INSERT INTO transactions (user_id, client_id, transaction_id, merchant_id, amount_cents, currency, occurred_at)
                VALUES ($1, $2, $3, $4, $5, 'CNY', now())`;
    const base = [userId, client1.rows[0]?.id, 't1', merchant.rows[0]?.id];
    await expectViolation(tx, [...base, 0], '23514');
    await expectViolation(tx, [...base, -5], '23514');
    await client.query(tx, [...base, 100]);
    await expectViolation(tx, [...base, 100], '23505');
    await expectViolation(
      "INSERT INTO merchants (external_id, name, category) VALUES ('m2', 'X', 'casino')",
      [],
      '23514',
    );
    await client.query(
      "INSERT INTO consent_events (user_id, purpose, action, policy_version) VALUES ($1, 'matching', 'grant', 'v1')",
      [userId],
    );
    await expectViolation("UPDATE consent_events SET policy_version = 'v2'", [], 'P0001');
    await expectViolation("UPDATE weight_sets SET name = 'changed'", [], 'P0001');
  });
});
