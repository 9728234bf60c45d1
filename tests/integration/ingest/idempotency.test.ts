import { sql } from 'kysely';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../../src/modules/idempotency/canonical-json.ts';
import { createIdempotencyRepository } from '../../../src/modules/idempotency/idempotency.repository.ts';
import { createIdempotencyService } from '../../../src/modules/idempotency/idempotency.service.ts';
import { AppError } from '../../../src/errors.ts';
import { count, insertClient, openHarness, silentLog, type Harness } from './fixtures.ts';

/** As routes do: the fingerprint of the schema-validated body. */
const Body = z.strictObject({
  a: z.number().optional(),
  b: z.array(z.number()).optional(),
  x: z.number().optional(),
});
const fp = (body: unknown) => requestFingerprint('POST', '/v1/transactions', Body.parse(body));

describe('idempotency service', () => {
  let h: Harness;
  let clientId: string;
  let service: ReturnType<typeof createIdempotencyService>;

  beforeAll(async () => {
    h = await openHarness();
    clientId = await insertClient(h.db, 'platform');
    service = createIdempotencyService({ records: createIdempotencyRepository(h.db), log: silentLog });
  });
  afterAll(() => h.close());

  it('fingerprints validated bodies canonically: key order does not matter, values, order and route do', () => {
    expect(fp({ a: 1, b: [1, 2] }).equals(fp({ b: [1, 2], a: 1 }))).toBe(true);
    expect(fp({ a: 1, b: [1, 2] }).equals(fp({ a: 1, b: [2, 1] }))).toBe(false);
    expect(fp({ a: 1 }).equals(fp({ a: 2 }))).toBe(false);
    expect(fp({ a: 1 }).equals(requestFingerprint('PUT', '/v1/transactions', Body.parse({ a: 1 })))).toBe(
      false,
    );
  });

  it('runs once and replays the stored response for the same body', async () => {
    let runs = 0;
    const handler = () => {
      runs += 1;
      return Promise.resolve({ status: 200, body: { n: runs }, stored: false });
    };
    const first = await service.execute({ clientId, key: 'k-replay', fingerprint: fp({ x: 1 }) }, handler);
    const second = await service.execute({ clientId, key: 'k-replay', fingerprint: fp({ x: 1 }) }, handler);
    expect(first).toEqual({ status: 200, body: { n: 1 }, replayed: false });
    expect(second).toEqual({ status: 200, body: { n: 1 }, replayed: true });
    expect(runs).toBe(1);
  });

  it('refuses the same key with another body (422) and while in flight (409)', async () => {
    await service.execute({ clientId, key: 'k-mismatch', fingerprint: fp({ x: 1 }) }, () =>
      Promise.resolve({ status: 200, body: {}, stored: false }),
    );
    await expect(
      service.execute({ clientId, key: 'k-mismatch', fingerprint: fp({ x: 2 }) }, () =>
        Promise.resolve({ status: 200, body: {}, stored: false }),
      ),
    ).rejects.toMatchObject({ status: 422, code: 'idempotency_key_mismatch' });

    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const slow = service.execute({ clientId, key: 'k-flight', fingerprint: fp({ x: 1 }) }, async () => {
      await blocked;
      return { status: 200, body: { slow: true }, stored: false };
    });
    // Wait until the first request's claim is visible.
    const claimed = () =>
      h.db.selectFrom('idempotency_records').select('state').where('key', '=', 'k-flight').executeTakeFirst();
    for (let i = 0; i < 100 && (await claimed()) === undefined; i += 1) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await claimed()).toEqual({ state: 'in_flight' });
    await expect(
      service.execute({ clientId, key: 'k-flight', fingerprint: fp({ x: 1 }) }, () =>
        Promise.resolve({ status: 200, body: {}, stored: false }),
      ),
    ).rejects.toMatchObject({ status: 409, code: 'idempotency_in_flight' });
    release();
    await expect(slow).resolves.toEqual({ status: 200, body: { slow: true }, replayed: false });
  });

  it('forgets a request that failed, so that the client may retry with the same key', async () => {
    const boom = new Error('database went away');
    await expect(
      service.execute({ clientId, key: 'k-fail', fingerprint: fp({ x: 1 }) }, () => Promise.reject(boom)),
    ).rejects.toBe(boom);
    const rows = await h.db
      .selectFrom('idempotency_records')
      .select('key')
      .where('key', '=', 'k-fail')
      .execute();
    expect(rows).toEqual([]);
    const retry = await service.execute({ clientId, key: 'k-fail', fingerprint: fp({ x: 1 }) }, () =>
      Promise.resolve({ status: 200, body: { ok: true }, stored: false }),
    );
    expect(retry.replayed).toBe(false);
  });

  it('takes over an in-flight record abandoned by a dead request', async () => {
    await sql`
      INSERT INTO idempotency_records (client_id, key, request_hash, state, created_at)
      VALUES (${clientId}, 'k-stale', ${fp({ x: 1 })}, 'in_flight', now() - interval '1 hour')
    `.execute(h.db);
    const outcome = await service.execute({ clientId, key: 'k-stale', fingerprint: fp({ x: 1 }) }, () =>
      Promise.resolve({ status: 200, body: { revived: true }, stored: false }),
    );
    expect(outcome).toEqual({ status: 200, body: { revived: true }, replayed: false });
  });

  it('keeps keys per client', async () => {
    const otherClient = await insertClient(h.db, 'another');
    await service.execute({ clientId, key: 'k-shared', fingerprint: fp({ x: 1 }) }, () =>
      Promise.resolve({ status: 200, body: { who: 'first' }, stored: false }),
    );
    const other = await service.execute(
      { clientId: otherClient, key: 'k-shared', fingerprint: fp({ x: 2 }) },
      () => Promise.resolve({ status: 200, body: { who: 'second' }, stored: false }),
    );
    expect(other).toEqual({ status: 200, body: { who: 'second' }, replayed: false });
  });

  it('purges records older than 24 hours', async () => {
    await sql`
      INSERT INTO idempotency_records (client_id, key, request_hash, state, response_status, response_body, created_at)
      VALUES (${clientId}, 'k-old', ${fp({})}, 'done', 200, '{}', now() - interval '25 hours')
    `.execute(h.db);
    const before = await count(h.db, 'idempotency_records');
    expect(await service.purgeExpired()).toBe(1);
    expect(await count(h.db, 'idempotency_records')).toBe(before - 1);
  });

  it('maps errors to AppError instances', async () => {
    const error = await service
      .execute({ clientId, key: 'k-replay', fingerprint: fp({ x: 3 }) }, () =>
        Promise.resolve({ status: 200, body: {}, stored: false }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
  });
});
