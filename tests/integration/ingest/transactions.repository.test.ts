import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransactionRepository } from '../../../src/modules/ingest/transactions.repository.ts';
import type { TransactionInput } from '../../../src/modules/ingest/transactions.schemas.ts';
import {
  consent,
  count,
  insertClient,
  insertMerchant,
  insertUser,
  openHarness,
  type Harness,
} from './fixtures.ts';

const NOW = new Date('2026-11-22T12:00:00Z');

const tx = (transactionId: string, overrides: Partial<TransactionInput> = {}): TransactionInput => ({
  transactionId,
  userId: 'u-ok',
  merchantId: 'm-1',
  amountCents: 1250,
  currency: 'CNY',
  occurredAt: '2026-11-21T09:30:00+08:00',
  ...overrides,
});

describe('transaction repository', () => {
  let h: Harness;
  let clientId: string;
  let otherClientId: string;
  let repo: ReturnType<typeof createTransactionRepository>;

  beforeAll(async () => {
    h = await openHarness();
    clientId = await insertClient(h.db, 'platform');
    otherClientId = await insertClient(h.db, 'other-platform');
    await insertMerchant(h.db, 'm-1');
    await insertUser(h.db, 'u-ok', ['grant']);
    await insertUser(h.db, 'u-never', []);
    await insertUser(h.db, 'u-withdrawn', ['grant', 'withdraw']);
    await insertUser(h.db, 'u-regranted', ['grant', 'withdraw', 'grant']);
    repo = createTransactionRepository(h.db);
  });
  afterAll(() => h.close());

  it('classifies each item and stores only the accepted ones', async () => {
    const before = await count(h.db, 'transactions');
    const { result, stored } = await repo.ingest({
      clientId,
      now: NOW,
      items: [
        tx('c-ok'),
        tx('c-unknown-user', { userId: 'nobody' }),
        tx('c-never', { userId: 'u-never' }),
        tx('c-withdrawn', { userId: 'u-withdrawn' }),
        tx('c-regranted', { userId: 'u-regranted' }),
        tx('c-merchant', { merchantId: 'm-unknown' }),
        tx('c-future', { occurredAt: '2026-11-22T12:05:01Z' }),
        tx('c-almost-future', { occurredAt: '2026-11-22T12:05:00Z' }),
        // The seed weight set has windowDays 30: retention is 60 days.
        tx('c-old', { occurredAt: '2026-09-23T11:59:59Z' }),
        tx('c-oldest-kept', { occurredAt: '2026-09-23T12:00:00Z' }),
      ],
    });
    expect(stored).toBe(false);
    expect(result).toEqual({
      accepted: 4,
      duplicate: 0,
      rejected: [
        { index: 1, transactionId: 'c-unknown-user', code: 'no_consent' },
        { index: 2, transactionId: 'c-never', code: 'no_consent' },
        { index: 3, transactionId: 'c-withdrawn', code: 'no_consent' },
        { index: 5, transactionId: 'c-merchant', code: 'unknown_merchant' },
        { index: 6, transactionId: 'c-future', code: 'in_future' },
        { index: 8, transactionId: 'c-old', code: 'out_of_window' },
      ],
    });
    expect((await count(h.db, 'transactions')) - before).toBe(4);
    const ids = await h.db
      .selectFrom('transactions')
      .select('transaction_id')
      .orderBy('transaction_id')
      .execute();
    expect(ids.map((r) => r.transaction_id)).toEqual([
      'c-almost-future',
      'c-ok',
      'c-oldest-kept',
      'c-regranted',
    ]);
  });

  it('stores the values as sent, including the instant of an offset timestamp', async () => {
    await repo.ingest({
      clientId,
      now: NOW,
      items: [tx('v-1', { amountCents: 987654321012, currency: 'EUR' })],
    });
    const row = await h.db
      .selectFrom('transactions')
      .select(['amount_cents', 'currency', 'occurred_at'])
      .where('transaction_id', '=', 'v-1')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      amount_cents: '987654321012',
      currency: 'EUR',
      occurred_at: new Date('2026-11-21T01:30:00Z'),
    });
  });

  it('counts an id seen before as a duplicate, per client, even after its row was deleted', async () => {
    const first = await repo.ingest({ clientId, now: NOW, items: [tx('d-1'), tx('d-2')] });
    expect(first.result).toMatchObject({ accepted: 2, duplicate: 0 });
    const again = await repo.ingest({ clientId, now: NOW, items: [tx('d-1'), tx('d-3')] });
    expect(again.result).toEqual({ accepted: 1, duplicate: 1, rejected: [] });

    // Another client may use the same id for its own transaction.
    const other = await repo.ingest({ clientId: otherClientId, now: NOW, items: [tx('d-1')] });
    expect(other.result).toEqual({ accepted: 1, duplicate: 0, rejected: [] });

    // A withdrawal deletes the rows; the registry keeps the ids.
    const user = await h.db
      .selectFrom('users')
      .select('id')
      .where('external_id', '=', 'u-ok')
      .executeTakeFirstOrThrow();
    await h.db.deleteFrom('transactions').where('user_id', '=', user.id).execute();
    const afterDelete = await repo.ingest({ clientId, now: NOW, items: [tx('d-2')] });
    expect(afterDelete.result).toEqual({ accepted: 0, duplicate: 1, rejected: [] });
    expect(
      await h.db
        .selectFrom('transactions')
        .select('transaction_id')
        .where('transaction_id', '=', 'd-2')
        .execute(),
    ).toEqual([]);
  });

  it('reports a once-accepted id as a duplicate even when its user has withdrawn since', async () => {
    const userId = await insertUser(h.db, 'u-later-withdrawn', ['grant']);
    await repo.ingest({ clientId, now: NOW, items: [tx('w-1', { userId: 'u-later-withdrawn' })] });
    await consent(h.db, userId, 'withdraw');
    const { result } = await repo.ingest({
      clientId,
      now: NOW,
      items: [tx('w-1', { userId: 'u-later-withdrawn' }), tx('w-2', { userId: 'u-later-withdrawn' })],
    });
    expect(result).toEqual({
      accepted: 0,
      duplicate: 1,
      rejected: [{ index: 1, transactionId: 'w-2', code: 'no_consent' }],
    });
  });

  it('does not register rejected ids: they may be sent again once the reason is gone', async () => {
    const first = await repo.ingest({ clientId, now: NOW, items: [tx('r-1', { merchantId: 'm-late' })] });
    expect(first.result.rejected).toEqual([{ index: 0, transactionId: 'r-1', code: 'unknown_merchant' }]);
    await insertMerchant(h.db, 'm-late');
    const second = await repo.ingest({ clientId, now: NOW, items: [tx('r-1', { merchantId: 'm-late' })] });
    expect(second.result).toEqual({ accepted: 1, duplicate: 0, rejected: [] });
  });

  it('takes retention from the longest window of any weight set', async () => {
    const old = tx('ret-1', { occurredAt: '2026-01-01T00:00:00Z' });
    expect((await repo.ingest({ clientId, now: NOW, items: [old] })).result.rejected[0]?.code).toBe(
      'out_of_window',
    );
    await sql`
      INSERT INTO weight_sets (name, version, params, created_by)
      VALUES ('long', 99, '{"windowDays": 365}'::jsonb, 'test')
    `.execute(h.db);
    expect((await repo.ingest({ clientId, now: NOW, items: [old] })).result.accepted).toBe(1);
  });

  it('stores unicode, emoji and SQL-looking text literally', async () => {
    const odd = ["'); DROP TABLE users; --", '顾客🙂‍↔️', 'a"b\\c{d},e', 'NULL', ' spaced '];
    for (const id of odd) {
      await insertUser(h.db, id, ['grant']);
      await insertMerchant(h.db, `m:${id}`);
    }
    const { result } = await repo.ingest({
      clientId,
      now: NOW,
      items: odd.map((id) => tx(`t:${id}`, { userId: id, merchantId: `m:${id}` })),
    });
    expect(result).toEqual({ accepted: odd.length, duplicate: 0, rejected: [] });
    const rows = await h.db
      .selectFrom('transactions')
      .innerJoin('users', 'users.id', 'transactions.user_id')
      .innerJoin('merchants', 'merchants.id', 'transactions.merchant_id')
      .select([
        'transactions.transaction_id',
        'users.external_id as user',
        'merchants.external_id as merchant',
      ])
      .where('transactions.transaction_id', 'like', 't:%')
      .execute();
    expect(rows.map((r) => [r.transaction_id, r.user, r.merchant]).sort()).toEqual(
      odd.map((id) => [`t:${id}`, id, `m:${id}`]).sort(),
    );
  });
});
