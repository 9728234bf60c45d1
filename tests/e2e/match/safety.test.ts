import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.ts';
import { deriveAuditKey, pseudonymize } from '../../../src/modules/audit/audit.service.ts';
import { ErrorBody } from '../../../src/plugins/errors.ts';
import { bearer, createTestApp, testConfig, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder, type Seeder } from './fixtures.ts';

let now = new Date('2026-11-22T04:00:00Z');
const clock: Clock = { now: () => new Date(now) };
const TODAY = '2026-11-22';
let t: TestApp;
let seed: Seeder;
let run: string;
const ids: Record<string, string> = {};
const matches: Record<string, string> = {};

const as = (sub: string, role: 'user' | 'admin' = 'user') => bearer(userToken(sub, role, { now }));
const card = (sub: string) => t.app.inject({ method: 'GET', url: '/v1/me/match', headers: as(sub) });
const post = (sub: string, path: string, payload?: object) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/me/match/${path}`,
    headers: as(sub),
    ...(payload === undefined ? {} : { payload }),
  });
const reasonOf = (response: { json: () => unknown }) =>
  (ErrorBody.parse(response.json()).error as { reason?: string }).reason;
const codeOf = (response: { json: () => unknown }) => ErrorBody.parse(response.json()).error.code;
const pseudonym = (id: string) => pseudonymize(deriveAuditKey(testConfig()), { kind: 'user', id });

beforeAll(async () => {
  t = await createTestApp({ clock, config: { REPORT_SUSPEND_THRESHOLD: 2 } });
  seed = seeder(t.db);
  run = await seed.run(TODAY);
  for (const name of ['ann', 'bob', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal']) {
    ids[name] = await seed.user(person(`sf-${name}`));
  }
  const pair = async (a: string, b: string, date = TODAY, runId = run) => {
    matches[`${a}-${b}`] = await seed.pair(runId, date, ids[a] ?? '', ids[b] ?? '');
  };
  await pair('ann', 'bob');
  await pair('cat', 'dan');
  await pair('eve', 'dan', '2026-11-10', await seed.run('2026-11-10'));
  await pair('fay', 'gus');
  await pair('hal', 'eve');
});
afterAll(async () => {
  await t.close();
});

describe('POST /v1/me/match/block', () => {
  it('blocks for good and ends the match for both sides; idempotent with the matchId', async () => {
    const response = await post('sf-ann', 'block');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ blocked: true });
    expect(reasonOf(await card('sf-ann'))).toBe('no_compatible_candidate');
    expect(reasonOf(await card('sf-bob'))).toBe('no_compatible_candidate');
    const rows = await t.db.selectFrom('blocks').selectAll().execute();
    expect(rows.map((r) => [r.blocker_id, r.blocked_id])).toEqual([[ids['ann'], ids['bob']]]);
    const ended = await t.db
      .selectFrom('matches')
      .select('ended_reason')
      .where('match_id', '=', matches['ann-bob'] ?? '')
      .execute();
    expect(ended.map((r) => r.ended_reason)).toEqual(['blocked', 'blocked']);
    const again = await post('sf-ann', 'block', { matchId: matches['ann-bob'] ?? '' });
    expect(again.statusCode).toBe(200);
    expect(await t.db.selectFrom('blocks').selectAll().execute()).toHaveLength(1);
  });

  it('needs a match: 404 no_match_today without one, 404 match_not_found for a foreign id', async () => {
    expect(codeOf(await post('sf-ann', 'block'))).toBe('no_match_today');
    const foreign = await post('sf-ann', 'block', { matchId: matches['cat-dan'] ?? '' });
    expect(foreign.statusCode).toBe(404);
    expect(codeOf(foreign)).toBe('match_not_found');
  });
});

describe('POST /v1/me/match/report and suspension', () => {
  it('reports (201), blocks, ends the match and audits the reason only', async () => {
    const response = await post('sf-cat', 'report', {
      reason: 'harassment',
      note: 'Rude messages, see chat',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({ reported: true });
    expect(reasonOf(await card('sf-dan'))).toBe('no_compatible_candidate');
    const block = await t.db
      .selectFrom('blocks')
      .selectAll()
      .where('blocker_id', '=', ids['cat'] ?? '')
      .execute();
    expect(block).toHaveLength(1);
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'report.create')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.subject).toBe(pseudonym('sf-dan'));
    expect(audit[0]?.details).toEqual({ reason: 'harassment' });
    expect(JSON.stringify(audit)).not.toContain('Rude');
    expect(t.logs.join('\n')).not.toContain('Rude');
    const dan = await t.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', ids['dan'] ?? '')
      .executeTakeFirstOrThrow();
    expect(dan.suspended_at).toBeNull();
  });

  it('a second report of the same person is 409 already_reported', async () => {
    const again = await post('sf-cat', 'report', { reason: 'spam', matchId: matches['cat-dan'] ?? '' });
    expect(again.statusCode).toBe(409);
    expect(codeOf(again)).toBe('already_reported');
  });

  it('validates the reason against the contract list', async () => {
    const response = await post('sf-fay', 'report', { reason: 'boring' });
    expect(response.statusCode).toBe(400);
    expect(ErrorBody.parse(response.json()).error.details[0]?.path).toBe('body.reason');
  });

  it('suspends at REPORT_SUSPEND_THRESHOLD distinct reporters, from an earlier match too', async () => {
    const response = await post('sf-eve', 'report', {
      reason: 'fake_profile',
      matchId: matches['eve-dan'] ?? '',
    });
    expect(response.statusCode).toBe(201);
    const dan = await t.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', ids['dan'] ?? '')
      .executeTakeFirstOrThrow();
    expect(dan.suspended_at).toEqual(now);
    expect(reasonOf(await card('sf-dan'))).toBe('not_eligible');
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user.suspend')
      .execute();
    expect(audit.map((a) => a.subject)).toEqual([pseudonym('sf-dan')]);
    // Eve's match of today (with Hal) is unaffected.
    expect((await card('sf-eve')).statusCode).toBe(200);
  });
});

describe('POST /v1/admin/users/{userId}/reinstate', () => {
  const reinstate = (sub: string, role: 'user' | 'admin', userId: string) =>
    t.app.inject({ method: 'POST', url: `/v1/admin/users/${userId}/reinstate`, headers: as(sub, role) });

  it('is for admins only', async () => {
    const response = await reinstate('sf-ann', 'user', 'sf-dan');
    expect(response.statusCode).toBe(403);
  });

  it('lifts the suspension, audited; reports before it no longer count', async () => {
    now = new Date('2026-11-22T05:00:00Z');
    const response = await reinstate('admin-1', 'admin', 'sf-dan');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ reinstated: true, suspended: false });
    const audit = await t.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'user.reinstate')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]?.subject).toBe(pseudonym('sf-dan'));
    expect(audit[0]?.actor).toBe(
      pseudonymize(deriveAuditKey(testConfig()), { kind: 'staff', id: 'admin-1' }),
    );
    expect((await reinstate('admin-1', 'admin', 'sf-dan')).json()).toEqual({
      reinstated: false,
      suspended: false,
    });

    // One new report after the reinstatement stays below the threshold of 2.
    now = new Date('2026-11-22T06:00:00Z');
    const runLater = await seed.run('2026-11-21');
    const m = await seed.pair(runLater, '2026-11-21', ids['gus'] ?? '', ids['dan'] ?? '');
    expect((await post('sf-gus', 'report', { reason: 'spam', matchId: m })).statusCode).toBe(201);
    const dan = await t.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', ids['dan'] ?? '')
      .executeTakeFirstOrThrow();
    expect(dan.suspended_at).toBeNull();
  });

  it('is 404 user_not_found for an unknown user', async () => {
    const response = await reinstate('admin-1', 'admin', 'sf-nobody');
    expect(response.statusCode).toBe(404);
    expect(codeOf(response)).toBe('user_not_found');
  });
});

describe('per-user rate limits', () => {
  it('limits decisions, guesses and the card per user, and fails closed without Redis', async () => {
    const limited = await createTestApp({
      clock,
      config: { MATCH_RATE_LIMIT_MAX: 2, MATCH_ACTION_RATE_LIMIT_MAX: 1 },
    });
    try {
      const hit = (sub: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
        limited.app.inject({ method, url, headers: as(sub), ...(payload === undefined ? {} : { payload }) });
      expect((await hit('rl-a', 'GET', '/v1/me/match')).statusCode).toBe(404);
      expect((await hit('rl-a', 'GET', '/v1/me/match')).statusCode).toBe(404);
      const limitedCard = await hit('rl-a', 'GET', '/v1/me/match');
      expect(limitedCard.statusCode).toBe(429);
      expect(codeOf(limitedCard)).toBe('rate_limited');
      expect((await hit('rl-b', 'GET', '/v1/me/match')).statusCode).toBe(404);

      const guess = { merchantId: 'm-1' };
      expect((await hit('rl-a', 'POST', '/v1/me/match/guesses', guess)).statusCode).toBe(404);
      expect((await hit('rl-a', 'POST', '/v1/me/match/guesses', guess)).statusCode).toBe(429);
      expect((await hit('rl-a', 'POST', '/v1/me/match/decision', { decision: 'like' })).statusCode).toBe(404);
      expect((await hit('rl-a', 'POST', '/v1/me/match/decision', { decision: 'like' })).statusCode).toBe(429);
      expect((await hit('rl-a', 'PUT', '/v1/me/reveals', { merchantIds: [] })).statusCode).toBe(200);
      expect((await hit('rl-a', 'PUT', '/v1/me/reveals', { merchantIds: [] })).statusCode).toBe(429);
    } finally {
      await limited.close();
    }

    const down = await createTestApp({ clock, config: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const response = await down.app.inject({ method: 'GET', url: '/v1/me/match', headers: as('rl-a') });
      expect(response.statusCode).toBe(503);
      expect(codeOf(response)).toBe('service_unavailable');
    } finally {
      await down.close();
    }
  });
});
