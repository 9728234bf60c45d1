import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, userToken } from '../../helpers/app.ts';
import { createIngestApp, NOW, rowCount, type ErrorJson, type IngestApp } from './setup.ts';

let t: IngestApp;

beforeAll(async () => {
  t = await createIngestApp();
});
afterAll(() => t.close());

const putMerchants = (payload: unknown, headers: Record<string, string> = t.auth) =>
  t.app.inject({ method: 'PUT', url: '/v1/merchants', headers, payload: payload as object });

const putAttributes = (userId: string, payload: unknown, headers: Record<string, string> = t.auth) =>
  t.app.inject({
    method: 'PUT',
    url: `/v1/users/${encodeURIComponent(userId)}/attributes`,
    headers,
    payload: payload as object,
  });

const paths = (res: { json: <T>() => T }): string[] => res.json<ErrorJson>().error.details.map((d) => d.path);

describe('PUT /v1/merchants', () => {
  it('creates, updates and recognises unchanged merchants', async () => {
    const first = await putMerchants({
      merchants: [
        {
          merchantId: 'shop-1',
          name: 'Manner Coffee',
          category: 'coffee',
          city: 'Shanghai',
          lat: 31.23,
          lng: 121.47,
        },
        { merchantId: 'shop-2', name: "'); DROP TABLE merchants; --", category: 'other' },
        { merchantId: '店-3', name: '全家 FamilyMart 🏪', category: 'convenience', city: '上海' },
      ],
    });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ created: 3, updated: 0, unchanged: 0 });

    const second = await putMerchants({
      merchants: [
        {
          merchantId: 'shop-1',
          name: 'Manner Coffee',
          category: 'coffee',
          city: 'Shanghai',
          lat: 31.23,
          lng: 121.47,
        },
        { merchantId: 'shop-2', name: 'Renamed', category: 'bar' },
        { merchantId: 'shop-4', name: 'New', category: 'books' },
      ],
    });
    expect(second.json()).toEqual({ created: 1, updated: 1, unchanged: 1 });
    const rows = await t.db
      .selectFrom('merchants')
      .select(['external_id', 'name', 'category', 'city', 'lat', 'lng'])
      .orderBy('external_id')
      .execute();
    expect(rows).toEqual([
      {
        external_id: 'shop-1',
        name: 'Manner Coffee',
        category: 'coffee',
        city: 'Shanghai',
        lat: 31.23,
        lng: 121.47,
      },
      { external_id: 'shop-2', name: 'Renamed', category: 'bar', city: null, lat: null, lng: null },
      { external_id: 'shop-4', name: 'New', category: 'books', city: null, lat: null, lng: null },
      {
        external_id: '店-3',
        name: '全家 FamilyMart 🏪',
        category: 'convenience',
        city: '上海',
        lat: null,
        lng: null,
      },
    ]);
  });

  it('upserts 5,000 merchants in one request', async () => {
    const merchants = Array.from({ length: 5_000 }, (_, i) => ({
      merchantId: `bulk-${String(i)}`,
      name: `Bulk ${String(i)}`,
      category: 'grocery',
    }));
    const res = await putMerchants({ merchants });
    expect(res.json()).toEqual({ created: 5_000, updated: 0, unchanged: 0 });
  });

  it('refuses bad batches whole, naming the field', async () => {
    const before = await rowCount(t.db, 'merchants');
    const cases: [unknown, string[]][] = [
      [{ merchants: [] }, ['body.merchants']],
      [
        {
          merchants: Array.from({ length: 5_001 }, (_, i) => ({
            merchantId: `x${String(i)}`,
            name: 'n',
            category: 'bar',
          })),
        },
        ['body.merchants'],
      ],
      [
        { merchants: [{ merchantId: 'bad-1', name: 'n', category: 'casino' }] },
        ['body.merchants.0.category'],
      ],
      [
        { merchants: [{ merchantId: 'bad-2', name: 'n', category: 'bar', lat: 10 }] },
        ['body.merchants.0.lng'],
      ],
      [
        { merchants: [{ merchantId: 'bad-3', name: 'n', category: 'bar', lat: 91, lng: 0 }] },
        ['body.merchants.0.lat'],
      ],
      [
        { merchants: [{ merchantId: 'bad-4', name: 'n', category: 'bar', owner: 'me' }] },
        ['body.merchants.0'],
      ],
      [
        { merchants: [{ merchantId: 5, name: '', category: 'bar' }] },
        ['body.merchants.0.merchantId', 'body.merchants.0.name'],
      ],
      [
        {
          merchants: [
            { merchantId: 'dup', name: 'a', category: 'bar' },
            { merchantId: 'dup', name: 'b', category: 'bar' },
          ],
        },
        ['body.merchants.1.merchantId'],
      ],
    ];
    for (const [payload, expected] of cases) {
      const res = await putMerchants(payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(paths(res).sort()).toEqual(expected);
    }
    expect(await rowCount(t.db, 'merchants')).toBe(before);
  });

  it('names both indices of a repeated merchant id', async () => {
    const res = await putMerchants({
      merchants: [
        { merchantId: 'dup', name: 'a', category: 'bar' },
        { merchantId: 'other', name: 'b', category: 'bar' },
        { merchantId: 'dup', name: 'c', category: 'bar' },
      ],
    });
    expect(res.json<ErrorJson>().error.details).toEqual([
      { path: 'body.merchants.2.merchantId', message: 'duplicate merchantId in this batch: items 0 and 2' },
    ]);
  });

  it('needs an API key with scope ingest', async () => {
    const payload = { merchants: [{ merchantId: 'auth', name: 'n', category: 'bar' }] };
    const asUser = await putMerchants(payload, bearer(userToken('u-1', 'user', { now: NOW })));
    expect(asUser.statusCode).toBe(403);
    const asAdmin = await putMerchants(payload, bearer(userToken('a-1', 'admin', { now: NOW })));
    expect(asAdmin.statusCode).toBe(403);
    const anonymous = await putMerchants(payload, {});
    expect(anonymous.statusCode).toBe(401);
    expect(
      await t.db.selectFrom('merchants').select('id').where('external_id', '=', 'auth').execute(),
    ).toEqual([]);
  });
});

describe('PUT /v1/users/{userId}/attributes', () => {
  it('creates the user when the flags arrive first, then updates them', async () => {
    const first = await putAttributes('platform-user-9', { verified: true, trusted: false });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ userId: 'platform-user-9', verified: true, trusted: false });
    const second = await putAttributes('platform-user-9', { verified: true, trusted: true });
    expect(second.json()).toEqual({ userId: 'platform-user-9', verified: true, trusted: true });
    const rows = await t.db
      .selectFrom('users')
      .select(['verified', 'trusted'])
      .where('external_id', '=', 'platform-user-9')
      .execute();
    expect(rows).toEqual([{ verified: true, trusted: true }]);
  });

  it('takes any storable platform id in the path, literally', async () => {
    const id = "用户 🙂 '); DROP TABLE users; --";
    const res = await putAttributes(id, { verified: false, trusted: true });
    expect(res.json()).toEqual({ userId: id, verified: false, trusted: true });
    expect(
      await t.db.selectFrom('users').select('external_id').where('external_id', '=', id).execute(),
    ).toHaveLength(1);
  });

  it('refuses anything but both booleans', async () => {
    const before = await rowCount(t.db, 'users');
    const cases: [string, unknown, string[]][] = [
      ['u-a', { verified: true }, ['body.trusted']],
      ['u-b', { verified: 'true', trusted: 1 }, ['body.trusted', 'body.verified']],
      ['u-c', { verified: true, trusted: true, suspended: false }, ['body']],
    ];
    for (const [userId, payload, expected] of cases) {
      const res = await putAttributes(userId, payload);
      expect(res.statusCode, res.body).toBe(400);
      expect(paths(res).sort()).toEqual(expected);
    }
    expect(await rowCount(t.db, 'users')).toBe(before);
  });

  it('refuses an id longer than 128 characters', async () => {
    const before = await rowCount(t.db, 'users');
    const res = await putAttributes('x'.repeat(129), { verified: true, trusted: true });
    expect(res.statusCode, res.body).toBe(400);
    expect(paths(res)).toEqual(['params.userId']);
    expect(await rowCount(t.db, 'users')).toBe(before);
  });

  it('needs an API key with scope ingest', async () => {
    const asUser = await putAttributes(
      'u-self',
      { verified: true, trusted: true },
      bearer(userToken('u-self', 'user', { now: NOW })),
    );
    expect(asUser.statusCode).toBe(403);
    const anonymous = await putAttributes('u-self', { verified: true, trusted: true }, {});
    expect(anonymous.statusCode).toBe(401);
    expect(await t.db.selectFrom('users').select('id').where('external_id', '=', 'u-self').execute()).toEqual(
      [],
    );
  });
});

describe('OpenAPI', () => {
  it('documents the service endpoints with their API key security and the Idempotency-Key header', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    type Operation = {
      security?: unknown[];
      parameters?: { in: string; name: string; required?: boolean }[];
    };
    const doc = res.json<{ paths: Record<string, Record<string, Operation>> }>();
    const post = doc.paths['/v1/transactions/']?.['post'] ?? doc.paths['/v1/transactions']?.['post'];
    expect(post?.security).toEqual([{ apiKey: [] }]);
    expect(post?.parameters).toContainEqual(
      expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true }),
    );
    expect(doc.paths['/v1/merchants/']?.['put'] ?? doc.paths['/v1/merchants']?.['put']).toBeDefined();
    expect(doc.paths['/v1/users/{userId}/attributes']?.['put']).toBeDefined();
  });
});
