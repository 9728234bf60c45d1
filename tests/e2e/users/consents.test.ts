import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { pseudonymize, deriveAuditKey } from '../../../src/modules/audit/audit.service.ts';
import { bearer, createApiKey, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

let now = new Date('2026-11-22T10:00:00Z');
const clock: Clock = { now: () => new Date(now) };
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t.close();
});

const as = (sub: string) => bearer(userToken(sub, 'user', { now }));
const grant = (sub: string, payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/v1/me/consents', headers: as(sub), payload: payload as object });
const ledger = (sub: string) => t.app.inject({ method: 'GET', url: '/v1/me/consents', headers: as(sub) });
const withdraw = (sub: string, purpose: string) =>
  t.app.inject({ method: 'DELETE', url: `/v1/me/consents/${purpose}`, headers: as(sub) });
const events = () =>
  t.db.selectFrom('consent_events').select(['purpose', 'action', 'policy_version']).execute();

describe('/v1/me/consents', () => {
  it('is empty for a user never seen', async () => {
    const response = await ledger('c-nobody');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ consents: [] });
  });

  it('grants (201), is idempotent for the same version (200, no row), appends a new version', async () => {
    now = new Date('2026-11-01T08:00:00Z');
    const first = await grant('c-amy', { purpose: 'transactions', policyVersion: '2026-10' });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      purpose: 'transactions',
      policyVersion: '2026-10',
      grantedAt: '2026-11-01T08:00:00.000Z',
      withdrawnAt: null,
      supersededAt: null,
    });
    now = new Date('2026-11-02T08:00:00Z');
    const again = await grant('c-amy', { purpose: 'transactions', policyVersion: '2026-10' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(await events()).toHaveLength(1);

    now = new Date('2026-11-03T08:00:00Z');
    expect((await grant('c-amy', { purpose: 'transactions', policyVersion: '2026-11' })).statusCode).toBe(
      201,
    );
    expect((await grant('c-amy', { purpose: 'matching', policyVersion: '2026-10' })).statusCode).toBe(201);
    now = new Date('2026-11-04T08:00:00Z');
    const withdrawn = await withdraw('c-amy', 'matching');
    expect(withdrawn.statusCode).toBe(200);
    expect(withdrawn.json()).toMatchObject({ purpose: 'matching', withdrawnAt: '2026-11-04T08:00:00.000Z' });
    now = new Date('2026-11-05T08:00:00Z');
    expect((await grant('c-amy', { purpose: 'matching', policyVersion: '2026-10' })).statusCode).toBe(201);

    expect((await ledger('c-amy')).json()).toEqual({
      consents: [
        {
          purpose: 'matching',
          policyVersion: '2026-10',
          grantedAt: '2026-11-05T08:00:00.000Z',
          withdrawnAt: null,
          supersededAt: null,
        },
        {
          purpose: 'matching',
          policyVersion: '2026-10',
          grantedAt: '2026-11-03T08:00:00.000Z',
          withdrawnAt: '2026-11-04T08:00:00.000Z',
          supersededAt: null,
        },
        {
          purpose: 'transactions',
          policyVersion: '2026-11',
          grantedAt: '2026-11-03T08:00:00.000Z',
          withdrawnAt: null,
          supersededAt: null,
        },
        {
          purpose: 'transactions',
          policyVersion: '2026-10',
          grantedAt: '2026-11-01T08:00:00.000Z',
          withdrawnAt: null,
          supersededAt: '2026-11-03T08:00:00.000Z',
        },
      ],
    });
  });

  it('audits every grant and withdrawal under a pseudonym, without the user id', async () => {
    const key = deriveAuditKey(t.deps.config);
    const pseudonym = pseudonymize(key, { kind: 'user', id: 'c-amy' });
    const rows = await t.db
      .selectFrom('audit_log')
      .select(['actor', 'subject', 'action', 'details', 'request_id'])
      .where('subject', '=', pseudonym)
      .orderBy('id')
      .execute();
    expect(rows.map((r) => r.action)).toEqual([
      'consent.grant',
      'consent.grant',
      'consent.grant',
      'consent.withdraw',
      'consent.grant',
    ]);
    expect(rows.every((r) => r.actor === pseudonym && r.request_id !== null)).toBe(true);
    expect(JSON.stringify(await t.db.selectFrom('audit_log').selectAll().execute())).not.toContain('c-amy');
  });

  it('409 consent_not_granted when withdrawing what is not granted', async () => {
    const never = await withdraw('c-bo', 'transactions');
    expect(never.statusCode).toBe(409);
    expect(never.json()).toMatchObject({ error: { code: 'consent_not_granted' } });
    await grant('c-bo', { purpose: 'matching', policyVersion: 'v1' });
    expect((await withdraw('c-bo', 'transactions')).statusCode).toBe(409);
    expect((await withdraw('c-bo', 'matching')).statusCode).toBe(200);
    expect((await withdraw('c-bo', 'matching')).statusCode).toBe(409);
  });

  const invalid: [string, unknown, string][] = [
    ['a userId in the body', { purpose: 'matching', policyVersion: 'v1', userId: 'c-amy' }, 'body'],
    ['an unknown purpose', { purpose: 'marketing', policyVersion: 'v1' }, 'body.purpose'],
    ['a missing version', { purpose: 'matching' }, 'body.policyVersion'],
    ['a version with spaces', { purpose: 'matching', policyVersion: 'v 1' }, 'body.policyVersion'],
    [
      'a version of 51 characters',
      { purpose: 'matching', policyVersion: 'v'.repeat(51) },
      'body.policyVersion',
    ],
    ['a wrong type', { purpose: 'matching', policyVersion: 1 }, 'body.policyVersion'],
  ];
  it.each(invalid)('400 for %s, naming the field, storing nothing', async (_label, payload, path) => {
    const before = await events();
    const response = await grant('c-invalid', payload);
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: { details: { path: string }[] } }>();
    expect(body.error.details.map((d) => d.path)).toContain(path);
    expect(await events()).toEqual(before);
  });

  it('400 for an unknown purpose in the path', async () => {
    const response = await withdraw('c-amy', 'marketing');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { details: [{ path: 'params.purpose' }] } });
  });

  it('403 for an API key on every consent route', async () => {
    const { key } = await createApiKey(t.db, 'platform-consents');
    for (const [method, url] of [
      ['GET', '/v1/me/consents'],
      ['POST', '/v1/me/consents'],
      ['DELETE', '/v1/me/consents/transactions'],
    ] as const) {
      const response = await t.app.inject({
        method,
        url,
        headers: bearer(key),
        ...(method === 'POST' ? { payload: { purpose: 'matching', policyVersion: 'v1' } } : {}),
      });
      expect(response.statusCode).toBe(403);
    }
  });

  it('runs concurrent identical grants once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => grant('c-race', { purpose: 'transactions', policyVersion: 'v9' })),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    const rows = await t.db
      .selectFrom('consent_events')
      .innerJoin('users', 'users.id', 'consent_events.user_id')
      .select('consent_events.id')
      .where('users.external_id', '=', 'c-race')
      .execute();
    expect(rows).toHaveLength(1);
  });
});
