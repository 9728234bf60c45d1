import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, userToken } from '../../helpers/app.ts';
import {
  createIngestApp,
  NOW,
  postTransactions,
  seedMerchants,
  seedUser,
  snapshot,
  tx,
  type ErrorJson,
  type IngestApp,
} from './setup.ts';

let t: IngestApp;

beforeAll(async () => {
  t = await createIngestApp();
  await seedMerchants(t, ['m-1', 'm-2']);
  await seedUser(t.db, 'u-1');
  await seedUser(t.db, 'u-2');
});
afterAll(() => t.close());

/** Sends a batch that must be refused whole with 400; checks that nothing was stored. */
async function expectRefused(body: unknown, status = 400): Promise<ErrorJson> {
  const before = await snapshot(t.db);
  const res = await postTransactions(t, body);
  expect(res.statusCode, res.body).toBe(status);
  expect(await snapshot(t.db)).toEqual(before);
  return res.json<ErrorJson>();
}

const paths = (error: ErrorJson): string[] => error.error.details.map((d) => d.path);

describe('POST /v1/transactions', () => {
  it('accepts a batch of consenting users and stores each row as sent', async () => {
    const res = await postTransactions(t, {
      transactions: [
        tx('ok-1'),
        tx('ok-2', {
          userId: 'u-2',
          merchantId: 'm-2',
          amountCents: 99,
          currency: 'USD',
          occurredAt: '2026-11-22T11:00:00Z',
        }),
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 2, duplicate: 0, rejected: [] });
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const rows = await t.db
      .selectFrom('transactions')
      .innerJoin('users', 'users.id', 'transactions.user_id')
      .innerJoin('merchants', 'merchants.id', 'transactions.merchant_id')
      .select([
        'transactions.transaction_id',
        'users.external_id as user',
        'merchants.external_id as merchant',
        'transactions.amount_cents',
        'transactions.currency',
        'transactions.occurred_at',
        'transactions.client_id',
      ])
      .where('transactions.transaction_id', 'in', ['ok-1', 'ok-2'])
      .orderBy('transactions.transaction_id')
      .execute();
    expect(rows).toEqual([
      {
        transaction_id: 'ok-1',
        user: 'u-1',
        merchant: 'm-1',
        amount_cents: '1250',
        currency: 'CNY',
        occurred_at: new Date('2026-11-21T01:30:00Z'),
        client_id: t.clientId,
      },
      {
        transaction_id: 'ok-2',
        user: 'u-2',
        merchant: 'm-2',
        amount_cents: '99',
        currency: 'USD',
        occurred_at: new Date('2026-11-22T11:00:00Z'),
        client_id: t.clientId,
      },
    ]);
  });

  it('answers per item: rejections name index, id and reason; only accepted rows are stored', async () => {
    await seedUser(t.db, 'u-never', []);
    await seedUser(t.db, 'u-withdrawn', ['grant', 'withdraw']);
    const before = await snapshot(t.db);
    const res = await postTransactions(t, {
      transactions: [
        tx('mix-ok'),
        tx('mix-merchant', { merchantId: 'm-unknown' }),
        tx('mix-unknown-user', { userId: 'u-unknown' }),
        tx('mix-never', { userId: 'u-never' }),
        tx('mix-withdrawn', { userId: 'u-withdrawn' }),
        tx('mix-future', { occurredAt: '2026-11-22T12:05:01Z' }),
        tx('mix-near-future', { occurredAt: '2026-11-22T20:04:59+08:00' }),
        tx('mix-old', { occurredAt: '2026-09-23T11:59:59Z' }),
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      accepted: 2,
      duplicate: 0,
      rejected: [
        { index: 1, transactionId: 'mix-merchant', code: 'unknown_merchant' },
        { index: 2, transactionId: 'mix-unknown-user', code: 'no_consent' },
        { index: 3, transactionId: 'mix-never', code: 'no_consent' },
        { index: 4, transactionId: 'mix-withdrawn', code: 'no_consent' },
        { index: 5, transactionId: 'mix-future', code: 'in_future' },
        { index: 7, transactionId: 'mix-old', code: 'out_of_window' },
      ],
    });
    const after = await snapshot(t.db);
    expect(after.transactions - before.transactions).toBe(2);
    expect(after.transactionIds - before.transactionIds).toBe(2);
  });

  it('refuses transactions after a withdrawal, with nothing stored', async () => {
    const userId = await seedUser(t.db, 'u-leaving', ['grant']);
    const first = await postTransactions(t, { transactions: [tx('leave-1', { userId: 'u-leaving' })] });
    expect(first.json()).toEqual({ accepted: 1, duplicate: 0, rejected: [] });
    await t.db
      .insertInto('consent_events')
      .values({ user_id: userId, purpose: 'transactions', action: 'withdraw', policy_version: '2026-01' })
      .execute();
    const res = await postTransactions(t, { transactions: [tx('leave-2', { userId: 'u-leaving' })] });
    expect(res.json()).toEqual({
      accepted: 0,
      duplicate: 0,
      rejected: [{ index: 0, transactionId: 'leave-2', code: 'no_consent' }],
    });
    const stored = await t.db
      .selectFrom('transactions')
      .select('transaction_id')
      .where('user_id', '=', userId)
      .execute();
    expect(stored).toEqual([{ transaction_id: 'leave-1' }]);
  });

  it('counts an id sent again in a later batch as a duplicate and stores it once', async () => {
    await postTransactions(t, { transactions: [tx('again-1')] });
    const before = await snapshot(t.db);
    const res = await postTransactions(t, {
      transactions: [tx('again-1', { amountCents: 1 }), tx('again-2')],
    });
    expect(res.json()).toEqual({ accepted: 1, duplicate: 1, rejected: [] });
    const after = await snapshot(t.db);
    expect(after.transactions - before.transactions).toBe(1);
    const row = await t.db
      .selectFrom('transactions')
      .select('amount_cents')
      .where('transaction_id', '=', 'again-1')
      .executeTakeFirstOrThrow();
    expect(row.amount_cents).toBe('1250');
  });

  it('stores each id once when concurrent batches share ids in opposite orders', async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => `shared-${String(i)}`);
    const before = await snapshot(t.db);
    const responses = await Promise.all(
      [ids, [...ids].reverse(), ids.filter((_, i) => i % 2 === 0).reverse()].map((order) =>
        postTransactions(t, { transactions: order.map((id) => tx(id)) }),
      ),
    );
    const results = responses.map((r) => {
      expect(r.statusCode, r.body).toBe(200);
      return r.json<{ accepted: number; duplicate: number }>();
    });
    expect(results.reduce((sum, r) => sum + r.accepted, 0)).toBe(2_000);
    expect(results.reduce((sum, r) => sum + r.duplicate, 0)).toBe(5_000 - 2_000);
    const after = await snapshot(t.db);
    expect(after.transactions - before.transactions).toBe(2_000);
  });

  it('refuses the same id twice in one batch, naming both indices', async () => {
    const error = await expectRefused({ transactions: [tx('twice-a'), tx('twice-b'), tx('twice-a')] });
    expect(error.error.code).toBe('invalid_request');
    expect(error.error.details).toEqual([
      {
        path: 'body.transactions.2.transactionId',
        message: 'duplicate transactionId in this batch: items 0 and 2',
      },
    ]);
  });

  it('stores unicode, emoji and SQL-looking strings literally', async () => {
    const odd = [
      "'); DROP TABLE users; --",
      '张伟🙂👩‍👩‍👧',
      'Robert"); DELETE FROM transactions; --',
      '{"a":1}',
      'ǅ\u0301',
    ];
    for (const [i, id] of odd.entries()) {
      await seedUser(t.db, id);
      await seedMerchants(t, [`m:${id}`]);
      const res = await postTransactions(t, {
        transactions: [
          tx(`t:${id}`, { userId: id, merchantId: `m:${id}`, transactionId: `t:${id}:${String(i)}` }),
        ],
      });
      expect(res.json()).toEqual({ accepted: 1, duplicate: 0, rejected: [] });
    }
    const rows = await t.db
      .selectFrom('transactions')
      .innerJoin('users', 'users.id', 'transactions.user_id')
      .innerJoin('merchants', 'merchants.id', 'transactions.merchant_id')
      .select([
        'transactions.transaction_id as id',
        'users.external_id as user',
        'merchants.external_id as merchant',
      ])
      .where('transactions.transaction_id', 'like', 't:%')
      .execute();
    expect(rows.map((r) => [r.id, r.user, r.merchant]).sort()).toEqual(
      odd.map((id, i) => [`t:${id}:${String(i)}`, id, `m:${id}`]).sort(),
    );
    // The tables the SQL-looking strings name are still there.
    expect(await t.db.selectFrom('users').select('id').limit(1).execute()).toHaveLength(1);
  });

  it('keeps transaction rows, user ids, merchant ids and amounts out of the logs', async () => {
    await seedUser(t.db, 'u-private-7731');
    await seedMerchants(t, ['m-private-4410']);
    await postTransactions(t, {
      transactions: [
        tx('tx-private-9902', {
          userId: 'u-private-7731',
          merchantId: 'm-private-4410',
          amountCents: 777_777,
        }),
      ],
    });
    const logs = t.logs.join('\n');
    expect(logs).toContain('transaction batch ingested');
    for (const secret of ['u-private-7731', 'm-private-4410', 'tx-private-9902', '777777', t.key]) {
      expect(logs).not.toContain(secret);
    }
  });
});

describe('POST /v1/transactions refuses bad input whole, naming the field', () => {
  it('requires the Idempotency-Key header', async () => {
    const before = await snapshot(t.db);
    const res = await postTransactions(t, { transactions: [tx('nokey-1')] }, { key: null });
    expect(res.statusCode).toBe(400);
    expect(paths(res.json<ErrorJson>())).toEqual(['headers.idempotency-key']);
    expect(res.json<ErrorJson>().error.details[0]?.message).toMatch(/Idempotency-Key header is required/);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('refuses malformed JSON', async () => {
    const before = await snapshot(t.db);
    const res = await postTransactions(t, '{"transactions": [{"transactionId": "x",');
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorJson>().error.code).toBe('malformed_json');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('refuses wrong types, naming each field', async () => {
    const error = await expectRefused({
      transactions: [
        tx('types-1', { userId: 42, currency: 'cny', occurredAt: 1_700_000_000 }),
        tx('types-2', { merchantId: null }),
      ],
    });
    expect(paths(error).sort()).toEqual([
      'body.transactions.0.currency',
      'body.transactions.0.occurredAt',
      'body.transactions.0.userId',
      'body.transactions.1.merchantId',
    ]);
  });

  it('refuses unknown fields, at the top and in an item', async () => {
    const top = await expectRefused({ transactions: [tx('extra-1')], dryRun: true });
    expect(top.error.details).toEqual([
      { path: 'body', message: expect.stringContaining('dryRun') as string },
    ]);
    const item = await expectRefused({ transactions: [{ ...tx('extra-2'), note: 'hi' }] });
    expect(item.error.details).toEqual([
      { path: 'body.transactions.0', message: expect.stringContaining('note') as string },
    ]);
  });

  it('refuses __proto__ keys', async () => {
    const before = await snapshot(t.db);
    const res = await postTransactions(
      t,
      '{"transactions":[{"transactionId":"proto-1","userId":"u-1","merchantId":"m-1","amountCents":1,"currency":"CNY","occurredAt":"2026-11-21T00:00:00Z","__proto__":{"admin":true}}]}',
    );
    expect(res.statusCode).toBe(400);
    expect(res.json<ErrorJson>().error.code).toBe('forbidden_json_key');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('refuses an empty batch and a batch over 5,000 items', async () => {
    const empty = await expectRefused({ transactions: [] });
    expect(paths(empty)).toEqual(['body.transactions']);
    const big = await expectRefused({
      transactions: Array.from({ length: 5_001 }, (_, i) => tx(`big-${String(i)}`)),
    });
    expect(big.error.details).toEqual([
      { path: 'body.transactions', message: expect.stringContaining('5000') as string },
    ]);
  });

  it('refuses a body over the byte limit with 413', async () => {
    const filler = 'x'.repeat(t.deps.config.BODY_LIMIT_BYTES);
    const before = await snapshot(t.db);
    const res = await postTransactions(t, JSON.stringify({ transactions: [tx(filler)] }));
    expect(res.statusCode).toBe(413);
    expect(res.json<ErrorJson>().error.code).toBe('payload_too_large');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it.each([
    ['negative', -100],
    ['zero', 0],
    ['fractional', 12.5],
    ['a string', '1250'],
    ['beyond 2^53', 2 ** 53 + 2],
  ])('refuses an amount that is %s', async (_label, amountCents) => {
    const error = await expectRefused({ transactions: [tx('ok-amount'), tx('bad-amount', { amountCents })] });
    expect(paths(error)).toEqual(['body.transactions.1.amountCents']);
  });

  it.each([
    ['without an offset', '2026-11-21T09:30:00'],
    ['as a date only', '2026-11-21'],
    ['on a day that does not exist', '2026-02-30T00:00:00Z'],
    ['in year 0', '0000-06-01T00:00:00Z'],
  ])('refuses a timestamp %s', async (_label, occurredAt) => {
    const error = await expectRefused({ transactions: [tx('bad-time', { occurredAt })] });
    expect(paths(error)).toEqual(['body.transactions.0.occurredAt']);
  });

  it('refuses ids that cannot be stored exactly', async () => {
    const error = await expectRefused({
      transactions: [tx('nul\u0000id'), tx('\ud800lone'), tx(''), tx('x'.repeat(129))],
    });
    expect(paths(error)).toEqual([
      'body.transactions.0.transactionId',
      'body.transactions.1.transactionId',
      'body.transactions.2.transactionId',
      'body.transactions.3.transactionId',
    ]);
  });

  it('refuses a user token (403) and no credentials (401)', async () => {
    const before = await snapshot(t.db);
    const asUser = await postTransactions(
      t,
      { transactions: [tx('auth-1')] },
      {
        headers: bearer(userToken('u-1', 'user', { now: NOW })),
      },
    );
    expect(asUser.statusCode).toBe(403);
    expect(asUser.json<ErrorJson>().error.code).toBe('wrong_credential_type');
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/v1/transactions',
      headers: { 'idempotency-key': 'anon' },
      payload: { transactions: [tx('auth-2')] },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(await snapshot(t.db)).toEqual(before);
  });
});
