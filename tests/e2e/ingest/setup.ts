import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/types.ts';
import { fixedClock } from '../../../src/clock.ts';
import { bearer, createApiKey, createTestApp, type TestApp } from '../../helpers/app.ts';

/** The instant every ingest e2e test runs at. */
export const NOW = new Date('2026-11-22T12:00:00Z');

export type IngestApp = TestApp & { key: string; clientId: string; auth: { authorization: string } };

export async function createIngestApp(): Promise<IngestApp> {
  const t = await createTestApp({ clock: fixedClock(NOW) });
  const { key, clientId } = await createApiKey(t.db, 'platform');
  return { ...t, key, clientId, auth: bearer(key) };
}

/** A user with a `transactions` consent history (oldest first), inserted directly. */
export async function seedUser(
  db: Kysely<Database>,
  externalId: string,
  history: ('grant' | 'withdraw')[] = ['grant'],
): Promise<string> {
  const { id } = await db
    .insertInto('users')
    .values({ external_id: externalId })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const action of history) {
    await db
      .insertInto('consent_events')
      .values({ user_id: id, purpose: 'transactions', action, policy_version: '2026-01' })
      .execute();
  }
  return id;
}

export async function seedMerchants(t: IngestApp, ids: string[]): Promise<void> {
  const res = await t.app.inject({
    method: 'PUT',
    url: '/v1/merchants',
    headers: t.auth,
    payload: {
      merchants: ids.map((merchantId) => ({ merchantId, name: `Shop ${merchantId}`, category: 'coffee' })),
    },
  });
  if (res.statusCode !== 200) throw new Error(`seeding merchants failed: ${res.body}`);
}

export type Tx = {
  transactionId: string;
  userId: string;
  merchantId: string;
  amountCents: number;
  currency: string;
  occurredAt: string;
};

export const tx = (transactionId: string, overrides: Partial<Record<keyof Tx, unknown>> = {}): Tx =>
  ({
    transactionId,
    userId: 'u-1',
    merchantId: 'm-1',
    amountCents: 1250,
    currency: 'CNY',
    occurredAt: '2026-11-21T09:30:00+08:00',
    ...overrides,
  }) as Tx;

let keyCounter = 0;
export const freshKey = (): string => `key-${String((keyCounter += 1))}-${String(process.pid)}`;

export function postTransactions(
  t: IngestApp,
  body: unknown,
  options: { key?: string | null; headers?: Record<string, string> } = {},
) {
  const key = options.key === undefined ? freshKey() : options.key;
  const headers: Record<string, string> = {
    ...t.auth,
    ...(key === null ? {} : { 'idempotency-key': key }),
    ...options.headers,
  };
  if (typeof body === 'string') {
    return t.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
  }
  return t.app.inject({ method: 'POST', url: '/v1/transactions', headers, payload: body as object });
}

export async function rowCount(
  db: Kysely<Database>,
  table: 'transactions' | 'transaction_ids' | 'merchants' | 'users' | 'idempotency_records',
): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(db);
  return rows[0]?.n ?? 0;
}

/** Row counts of every table an ingest writes. */
export async function snapshot(db: Kysely<Database>) {
  return {
    transactions: await rowCount(db, 'transactions'),
    transactionIds: await rowCount(db, 'transaction_ids'),
    idempotency: await rowCount(db, 'idempotency_records'),
  };
}

export type ErrorJson = {
  error: { code: string; message: string; details: { path: string; message: string }[] };
};
