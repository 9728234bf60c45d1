import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestFingerprint } from '../../../src/modules/idempotency/canonical-json.ts';
import { bearer, createApiKey } from '../../helpers/app.ts';
import {
  createIngestApp,
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
  await seedMerchants(t, ['m-1']);
  await seedUser(t.db, 'u-1');
});
afterAll(() => t.close());

describe('Idempotency-Key on POST /v1/transactions', () => {
  it('replays the first response for the same body, storing nothing twice', async () => {
    const body = { transactions: [tx('rep-1'), tx('rep-2', { merchantId: 'm-none' })] };
    const first = await postTransactions(t, body, { key: 'replay-key' });
    expect(first.statusCode).toBe(200);
    const afterFirst = await snapshot(t.db);

    const second = await postTransactions(t, body, { key: 'replay-key' });
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(second.json()).toEqual({
      accepted: 1,
      duplicate: 0,
      rejected: [{ index: 1, transactionId: 'rep-2', code: 'unknown_merchant' }],
    });

    // Key order and spacing do not make another request.
    const reordered = JSON.stringify({
      transactions: body.transactions.map((item) => Object.fromEntries(Object.entries(item).reverse())),
    });
    const third = await postTransactions(t, ` ${reordered} `, { key: 'replay-key' });
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect(third.body).toBe(first.body);
    expect(await snapshot(t.db)).toEqual(afterFirst);
  });

  it('refuses the same key with a different body (422), storing nothing', async () => {
    await postTransactions(t, { transactions: [tx('mm-1')] }, { key: 'mismatch-key' });
    const before = await snapshot(t.db);
    const res = await postTransactions(
      t,
      { transactions: [tx('mm-1'), tx('mm-2')] },
      { key: 'mismatch-key' },
    );
    expect(res.statusCode).toBe(422);
    expect(res.json<ErrorJson>().error.code).toBe('idempotency_key_mismatch');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('answers 409 while the first request with the key is in flight', async () => {
    const body = { transactions: [tx('flight-1')] };
    await sql`
      INSERT INTO idempotency_records (client_id, key, request_hash, state)
      VALUES (${t.clientId}, 'flight-key', ${requestFingerprint('POST', '/v1/transactions', body)}, 'in_flight')
    `.execute(t.db);
    const before = await snapshot(t.db);
    const res = await postTransactions(t, body, { key: 'flight-key' });
    expect(res.statusCode).toBe(409);
    expect(res.json<ErrorJson>().error.code).toBe('idempotency_in_flight');
    expect(await snapshot(t.db)).toEqual(before);
  });

  it('lets concurrent requests with one key store the batch once', async () => {
    const body = { transactions: Array.from({ length: 200 }, (_, i) => tx(`race-${String(i)}`)) };
    const before = await snapshot(t.db);
    const responses = await Promise.all([1, 2, 3].map(() => postTransactions(t, body, { key: 'race-key' })));
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    const fresh = responses.filter(
      (r) => r.statusCode === 200 && r.headers['idempotent-replayed'] === undefined,
    );
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.json()).toEqual({ accepted: 200, duplicate: 0, rejected: [] });
    const after = await snapshot(t.db);
    expect(after.transactions - before.transactions).toBe(200);
  });

  it('forgets a request that failed, so that a retry with the same key runs', async () => {
    await sql`
      CREATE FUNCTION fail_on_marker() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.transaction_id = 'boom' THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_on_marker BEFORE INSERT ON transaction_ids
        FOR EACH ROW EXECUTE FUNCTION fail_on_marker();
    `.execute(t.db);
    const body = { transactions: [tx('pre-boom'), tx('boom')] };
    const before = await snapshot(t.db);
    const failed = await postTransactions(t, body, { key: 'fail-key' });
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain('injected failure');
    expect(await snapshot(t.db)).toEqual(before);

    await sql`DROP TRIGGER fail_on_marker ON transaction_ids`.execute(t.db);
    const retried = await postTransactions(t, body, { key: 'fail-key' });
    expect(retried.statusCode).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.json()).toEqual({ accepted: 2, duplicate: 0, rejected: [] });
  });

  it('keeps keys apart per client', async () => {
    const other = await createApiKey(t.db, 'second-platform');
    const res = await postTransactions(
      t,
      { transactions: [tx('other-1')] },
      {
        key: 'replay-key',
        headers: bearer(other.key),
      },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(res.json()).toEqual({ accepted: 1, duplicate: 0, rejected: [] });
  });
});

describe('cost of a batch', () => {
  it('sends the same, small number of queries for 10 and for 1,000 items', async () => {
    const users = Array.from({ length: 50 }, (_, i) => `qc-user-${String(i)}`);
    for (const user of users) await seedUser(t.db, user);
    await seedMerchants(
      t,
      Array.from({ length: 20 }, (_, i) => `qc-m-${String(i)}`),
    );
    const batch = (size: number, prefix: string) => ({
      transactions: Array.from({ length: size }, (_, i) =>
        tx(`${prefix}-${String(i)}`, {
          userId: users[i % users.length],
          merchantId: i % 7 === 0 ? 'qc-m-missing' : `qc-m-${String(i % 20)}`,
        }),
      ),
    });
    const spy = vi.spyOn(pg.Client.prototype, 'query');
    const queriesFor = async (size: number, prefix: string): Promise<number> => {
      spy.mockClear();
      const res = await postTransactions(t, batch(size, prefix));
      expect(res.statusCode).toBe(200);
      return spy.mock.calls.length;
    };
    try {
      const small = await queriesFor(10, 'qc-small');
      const large = await queriesFor(1_000, 'qc-large');
      expect(small).toBeGreaterThan(0);
      expect(large).toBe(small);
      // The API key lookup, the idempotency claim, the batch statement.
      expect(large).toBeLessThanOrEqual(3);
    } finally {
      spy.mockRestore();
    }
  });
});
