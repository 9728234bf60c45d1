import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAttributesRepository } from '../../../src/modules/attributes/attributes.repository.ts';
import { createMerchantRepository } from '../../../src/modules/merchants/merchants.repository.ts';
import { openHarness, type Harness } from './fixtures.ts';

describe('merchant and attribute repositories', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness();
  });
  afterAll(() => h.close());

  it('upserts merchants in one statement, counting created and changed rows', async () => {
    const merchants = createMerchantRepository(h.db);
    const batch = [
      {
        merchantId: 'm-1',
        name: 'Blue Bottle',
        category: 'coffee' as const,
        city: 'Shanghai',
        lat: 31.2,
        lng: 121.4,
      },
      { merchantId: 'm-2', name: 'Bakery', category: 'bakery' as const },
    ];
    expect(await merchants.upsertMany(batch)).toEqual({ created: 2, updated: 0 });
    expect(await merchants.upsertMany(batch)).toEqual({ created: 0, updated: 0 });
    const changed = [
      { merchantId: 'm-1', name: 'Blue Bottle', category: 'coffee' as const },
      ...batch.slice(1),
    ];
    expect(
      await merchants.upsertMany([...changed, { merchantId: 'm-3', name: 'x', category: 'bar' }]),
    ).toEqual({
      created: 1,
      updated: 1,
    });
    const row = await h.db
      .selectFrom('merchants')
      .select(['name', 'category', 'city', 'lat', 'lng'])
      .where('external_id', '=', 'm-1')
      .executeTakeFirstOrThrow();
    // A PUT replaces the whole merchant: omitted optional fields are cleared.
    expect(row).toEqual({ name: 'Blue Bottle', category: 'coffee', city: null, lat: null, lng: null });
  });

  it('creates a user row from flags and updates only the flags later', async () => {
    const attributes = createAttributesRepository(h.db);
    expect(await attributes.upsert('platform-user-1', { verified: true, trusted: false })).toEqual({
      externalId: 'platform-user-1',
      verified: true,
      trusted: false,
    });
    const before = await h.db
      .selectFrom('users')
      .selectAll()
      .where('external_id', '=', 'platform-user-1')
      .executeTakeFirstOrThrow();
    expect(await attributes.upsert('platform-user-1', { verified: false, trusted: true })).toEqual({
      externalId: 'platform-user-1',
      verified: false,
      trusted: true,
    });
    const after = await h.db
      .selectFrom('users')
      .selectAll()
      .where('external_id', '=', 'platform-user-1')
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ ...before, verified: false, trusted: true });
  });
});
