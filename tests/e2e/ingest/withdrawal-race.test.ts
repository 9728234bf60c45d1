import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userToken } from '../../helpers/app.ts';
import { createIngestApp, postTransactions, seedMerchants, seedUser, tx, type IngestApp } from './setup.ts';

let t: IngestApp;

beforeAll(async () => {
  t = await createIngestApp();
  await seedMerchants(t, ['m-1']);
});
afterAll(() => t.close());

/** Waits until some backend of this database waits on a row lock. */
async function untilBlockedOnLock(client: pg.Client): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if ((rows[0]?.n ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the ingest statement never waited on the withdrawal');
}

const storedFor = async (userId: string): Promise<number> => {
  const row = await t.db
    .selectFrom('transactions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
};

describe('ingest racing a withdrawal', () => {
  it('stores nothing for a user whose withdrawal commits while the batch waits', async () => {
    const userId = await seedUser(t.db, 'u-race');
    const withdrawal = new pg.Client({ connectionString: t.deps.config.DATABASE_URL });
    await withdrawal.connect();
    try {
      // What DELETE /v1/me/consents/transactions does: lock the user, append the withdrawal, delete.
      await withdrawal.query('BEGIN');
      await withdrawal.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [userId]);
      await withdrawal.query(
        "INSERT INTO consent_events (user_id, purpose, action, policy_version) VALUES ($1, 'transactions', 'withdraw', 'v1')",
        [userId],
      );
      await withdrawal.query('DELETE FROM transactions WHERE user_id = $1', [userId]);

      const ingest = postTransactions(t, { transactions: [tx('race-1', { userId: 'u-race' })] });
      await untilBlockedOnLock(withdrawal);
      await withdrawal.query('COMMIT');

      const res = await ingest;
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        accepted: 0,
        duplicate: 0,
        rejected: [{ index: 0, transactionId: 'race-1', code: 'no_consent' }],
      });
      expect(await storedFor(userId)).toBe(0);
    } finally {
      await withdrawal.end();
    }
  });

  it('lets a withdrawal that starts during a batch delete what the batch stored', async () => {
    const userId = await seedUser(t.db, 'u-race-2');
    const ingestLock = new pg.Client({ connectionString: t.deps.config.DATABASE_URL });
    await ingestLock.connect();
    try {
      // Holds the share lock an in-flight batch holds, then lets the batch store a row.
      await ingestLock.query('BEGIN');
      await ingestLock.query('SELECT id FROM users WHERE id = $1 FOR SHARE', [userId]);
      const accepted = await postTransactions(t, { transactions: [tx('race-2', { userId: 'u-race-2' })] });
      expect(accepted.json()).toMatchObject({ accepted: 1 });

      const withdraw = t.app.inject({
        method: 'DELETE',
        url: '/v1/me/consents/transactions',
        headers: { authorization: `Bearer ${userToken('u-race-2')}` },
      });
      await untilBlockedOnLock(ingestLock);
      await ingestLock.query('COMMIT');
      const res = await withdraw;
      expect(res.statusCode, res.body).toBe(200);
      expect(await storedFor(userId)).toBe(0);
    } finally {
      await ingestLock.end();
    }
  });
});
