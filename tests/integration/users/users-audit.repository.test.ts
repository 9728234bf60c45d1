import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { createDb, createPool, type Db } from '../../../src/db/database.ts';
import { createAuditRepository } from '../../../src/modules/audit/audit.repository.ts';
import {
  createAuditService,
  deriveAuditKey,
  pseudonymize,
} from '../../../src/modules/audit/audit.service.ts';
import { createUsersRepository } from '../../../src/modules/users/users.repository.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(createPool({ connectionString: database.url }, console));
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

describe('users repository', () => {
  it('upserts by external id, returning the same internal id every time', async () => {
    const users = createUsersRepository(db);
    const first = await users.upsertByExternalId('ext-a');
    const again = await users.upsertByExternalId('ext-a');
    expect(again).toBe(first);
    const many = await users.upsertManyByExternalIds(['ext-a', 'ext-b', 'ext-b', 'ext-c']);
    expect([...many.keys()].sort()).toEqual(['ext-a', 'ext-b', 'ext-c']);
    expect(many.get('ext-a')).toBe(first);
    expect(await users.findByExternalId('ext-b')).toMatchObject({
      id: many.get('ext-b'),
      externalId: 'ext-b',
      verified: false,
      trusted: false,
      suspendedAt: null,
    });
    expect(await users.findByExternalId('nobody')).toBeUndefined();
    expect(await users.findIdsByExternalIds(['ext-c', 'nobody'])).toEqual(
      new Map([['ext-c', many.get('ext-c')]]),
    );
  });

  it('folds the consent ledger to the current state per user, in one batch', async () => {
    const users = createUsersRepository(db);
    const ids = await users.upsertManyByExternalIds(['c-granted', 'c-withdrawn', 'c-regranted', 'c-none']);
    const id = (ext: string) => ids.get(ext) ?? '';
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 12, minute));
    await db
      .insertInto('consent_events')
      .values([
        {
          user_id: id('c-granted'),
          purpose: 'transactions',
          action: 'grant',
          policy_version: 'v1',
          at: at(1),
        },
        {
          user_id: id('c-withdrawn'),
          purpose: 'transactions',
          action: 'grant',
          policy_version: 'v1',
          at: at(1),
        },
        {
          user_id: id('c-withdrawn'),
          purpose: 'transactions',
          action: 'withdraw',
          policy_version: 'v1',
          at: at(2),
        },
        {
          user_id: id('c-regranted'),
          purpose: 'transactions',
          action: 'grant',
          policy_version: 'v1',
          at: at(1),
        },
        {
          user_id: id('c-regranted'),
          purpose: 'transactions',
          action: 'withdraw',
          policy_version: 'v1',
          at: at(2),
        },
        {
          user_id: id('c-regranted'),
          purpose: 'transactions',
          action: 'grant',
          policy_version: 'v2',
          at: at(3),
        },
        { user_id: id('c-none'), purpose: 'matching', action: 'grant', policy_version: 'v1', at: at(1) },
      ])
      .execute();
    const current = await users.currentConsents([...ids.values()], 'transactions');
    expect([...current.keys()].sort()).toEqual([id('c-granted'), id('c-regranted')].sort());
    expect(current.get(id('c-regranted'))).toEqual({
      userId: id('c-regranted'),
      policyVersion: 'v2',
      grantedAt: at(3),
    });
    const matching = await users.currentConsents([...ids.values()], 'matching');
    expect([...matching.keys()]).toEqual([id('c-none')]);
    expect(await users.currentConsents([], 'matching')).toEqual(new Map());
  });
});

describe('audit service', () => {
  const key = deriveAuditKey({ JWT_SECRET: 'x'.repeat(32) });

  it('stores keyed pseudonyms, never the ids themselves', async () => {
    const audit = createAuditService({
      audit: createAuditRepository(db),
      key,
      clock: fixedClock('2026-11-22T10:00:00Z'),
    });
    await audit.record({
      actor: { kind: 'user', id: 'platform-user-77' },
      action: 'consent.grant',
      subject: { kind: 'user', id: 'platform-user-77' },
      requestId: 'req-1',
      details: { purpose: 'transactions', policy_version: 'v1', deleted_rows: 3, first: true },
    });
    const pseudonym = pseudonymize(key, { kind: 'user', id: 'platform-user-77' });
    expect(pseudonym).toMatch(/^user:[0-9a-f]{32}$/);
    const rows = await createAuditRepository(db).findByParty(pseudonym);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor: pseudonym, subject: pseudonym, action: 'consent.grant' });
    expect(JSON.stringify(rows)).not.toContain('platform-user-77');
  });

  it('gives different pseudonyms under different keys and for different kinds', () => {
    const other = deriveAuditKey({ JWT_SECRET: 'y'.repeat(32) });
    const party = { kind: 'user', id: 'same' } as const;
    expect(pseudonymize(key, party)).not.toBe(pseudonymize(other, party));
    expect(pseudonymize(key, party)).not.toBe(pseudonymize(key, { kind: 'client', id: 'same' }));
    expect(deriveAuditKey({ AUDIT_KEY: 'k'.repeat(32), JWT_SECRET: 'x'.repeat(32) })).toEqual(
      Buffer.from('k'.repeat(32)),
    );
  });

  it('refuses free text in details, so names and notes cannot reach the log', async () => {
    const audit = createAuditService({
      audit: createAuditRepository(db),
      key,
      clock: fixedClock(new Date()),
    });
    const base = { actor: { kind: 'system' } as const, action: 'user.erase' };
    await expect(audit.record({ ...base, details: { name: 'Alice Smith' } })).rejects.toThrow();
    await expect(audit.record({ ...base, details: { note: 'alice@example.com' } })).rejects.toThrow();
    await expect(audit.record({ ...base, details: { 'Display Name': 1 } })).rejects.toThrow();
    await expect(audit.record({ ...base, action: 'Erased Alice' })).rejects.toThrow();
    await audit.record({ ...base, details: { tables: 12 } });
    expect(await createAuditRepository(db).findByParty('system')).toHaveLength(1);
  });
});

describe('user row locks', () => {
  it('a withdrawal (FOR UPDATE) waits until an ingest holding the share lock commits', async () => {
    const users = createUsersRepository(db);
    const id = await users.upsertByExternalId('lock-user');
    const order: string[] = [];
    let releaseIngest = (): void => undefined;
    const ingestHolds = new Promise<void>((resolve) => {
      releaseIngest = resolve;
    });
    let ingestLocked = (): void => undefined;
    const locked = new Promise<void>((resolve) => {
      ingestLocked = resolve;
    });
    const ingest = db.transaction().execute(async (trx) => {
      await createUsersRepository(trx).lockShareByExternalIds(['lock-user', 'missing-user']);
      order.push('ingest locked');
      ingestLocked();
      await ingestHolds;
      order.push('ingest commits');
    });
    await locked;
    const withdrawal = db.transaction().execute(async (trx) => {
      await createUsersRepository(trx).lockForUpdate(id);
      order.push('withdrawal locked');
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(order).toEqual(['ingest locked']);
    releaseIngest();
    await Promise.all([ingest, withdrawal]);
    expect(order).toEqual(['ingest locked', 'ingest commits', 'withdrawal locked']);
  });
});
