import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import {
  ADA,
  BEN,
  CAL,
  MATCH_PAST,
  MATCH_TODAY,
  seedWorld,
  tablesContaining,
  tablesReferencingUsers,
  type World,
} from './world.ts';

const NOW = new Date('2026-11-22T10:00:00Z');
let t: TestApp;
let world: World;

beforeEach(async () => {
  t = await createTestApp({ clock: fixedClock(NOW) });
  world = await seedWorld(t.db);
});
afterEach(async () => {
  await t.close();
});

const as = (sub: string) => bearer(userToken(sub, 'user', { now: NOW }));

const pool = async (userId: string) =>
  sql<{
    candidate_ids: string[];
    scores: number[];
    overlap_scores: number[];
    co_presences: number[];
    spend_levels: number[];
    shared_counts: number[];
  }>`SELECT candidate_ids, scores, overlap_scores, co_presences, spend_levels, shared_counts
     FROM candidates WHERE user_id = ${userId}`
    .execute(t.db)
    .then((r) => r.rows[0]);

/** A user's shard pool of the run (kept between the score and pair stages). */
const shardPool = async (userId: string) =>
  sql<{ candidate_ids: string[]; overlap_scores: number[]; co_presences: number[]; shared_counts: number[] }>`
    SELECT candidate_ids, overlap_scores, co_presences, shared_counts FROM run_pools WHERE user_id = ${userId}`
    .execute(t.db)
    .then((r) => r.rows[0]);

const PII = [ADA.externalId, ADA.displayName, ADA.contactHandle, 'Ada wrote this note'];
/** Her transaction ids stay only in the registry, which holds no user id; never in logs or audit. */
const TRACES = [...PII, 'tx-ada-1'];

/** The audit log holds pseudonyms and counts: none of Ada's ids, names, handles or notes. */
const expectAuditWithoutPii = async () => {
  const rows = await t.db.selectFrom('audit_log').selectAll().execute();
  const text = JSON.stringify(rows);
  for (const needle of [...TRACES, ADA.internalId]) expect(text).not.toContain(needle);
  return rows;
};

describe('the seeded world', () => {
  it('puts a row of Ada in every table that references users', async () => {
    const referencing = await tablesReferencingUsers(t.db);
    const holding = Object.keys(await tablesContaining(t.db, ADA.internalId));
    expect(referencing.length).toBeGreaterThan(10);
    for (const table of referencing) expect(holding).toContain(table);
  });
});

describe('DELETE /v1/me/consents/transactions', () => {
  it('deletes everything derived from transactions before answering, keeping the ledger and profile', async () => {
    const registryBefore = await t.db.selectFrom('transaction_ids').select('transaction_id').execute();
    const response = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/consents/transactions',
      headers: as(ADA.externalId),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      purpose: 'transactions',
      withdrawnAt: NOW.toISOString(),
      deleted: {
        transactions: 3,
        features: 1,
        candidates: 1,
        candidateEntries: 3,
        runSnapshots: 1,
        pairs: 1,
        reveals: 1,
        guesses: 3,
      },
      endedMatches: 1,
    });

    // What a transactions withdrawal legitimately keeps: who she is, her choices and history.
    const remaining = await tablesContaining(t.db, ADA.internalId);
    expect(Object.keys(remaining).sort()).toEqual(
      ['blocks', 'consent_events', 'decisions', 'matches', 'profiles', 'reports', 'users'].sort(),
    );
    // Her id left other users' pools, and the six parallel arrays stay aligned.
    expect(await pool(world.ben)).toEqual({
      candidate_ids: [world.cal, world.cal],
      scores: [0.7, 0.2],
      overlap_scores: [0.6, 0.1],
      co_presences: [0, 0],
      spend_levels: [0.5, 0.4],
      shared_counts: [2, 2],
    });
    expect(await pool(world.cal)).toEqual({
      candidate_ids: [],
      scores: [],
      overlap_scores: [],
      co_presences: [],
      spend_levels: [],
      shared_counts: [],
    });
    // and the shard pool the run keeps between score and pair lost her too, aligned
    expect(await shardPool(world.ben)).toEqual({
      candidate_ids: [world.cal],
      overlap_scores: [0.6],
      co_presences: [0],
      shared_counts: [2],
    });
    // Today's match ended for both sides; the past one is history and stays as it was.
    const matches = await t.db
      .selectFrom('matches')
      .select(['user_id', 'match_id', 'ended_reason', 'ended_at'])
      .where('match_id', 'in', [MATCH_TODAY, MATCH_PAST])
      .orderBy('match_id')
      .orderBy('user_id')
      .execute();
    expect(matches.filter((m) => m.match_id === MATCH_TODAY).map((m) => m.ended_reason)).toEqual([
      'consent_withdrawn',
      'consent_withdrawn',
    ]);
    expect(matches.filter((m) => m.match_id === MATCH_PAST).map((m) => m.ended_reason)).toEqual([null, null]);
    // Other users' own data is untouched.
    expect(
      await t.db.selectFrom('transactions').select('transaction_id').orderBy('transaction_id').execute(),
    ).toEqual([
      { transaction_id: 'tx-ben-1' },
      { transaction_id: 'tx-ben-2' },
      { transaction_id: 'tx-cal-1' },
    ]);
    expect(await t.db.selectFrom('reveals').select('user_id').execute()).toEqual([{ user_id: world.ben }]);
    // The registry of transaction ids keeps them (no user id there): a re-delivery stays a duplicate.
    expect(await t.db.selectFrom('transaction_ids').select('transaction_id').execute()).toEqual(
      registryBefore,
    );

    const ledger = await t.app.inject({ method: 'GET', url: '/v1/me/consents', headers: as(ADA.externalId) });
    expect(ledger.json()).toMatchObject({
      consents: expect.arrayContaining([
        expect.objectContaining({ purpose: 'transactions', withdrawnAt: NOW.toISOString() }),
        expect.objectContaining({ purpose: 'matching', withdrawnAt: null }),
      ]) as unknown,
    });
    const audit = await expectAuditWithoutPii();
    expect(audit.filter((r) => r.action === 'consent.withdraw')).toHaveLength(1);
    expect(t.logs.length).toBeGreaterThan(0);
    for (const needle of TRACES) expect(t.logs.join('\n')).not.toContain(needle);

    const again = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/consents/transactions',
      headers: as(ADA.externalId),
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: { code: 'consent_not_granted' } });
  });

  it("matching: ends today's match for both sides and leaves pairing, keeping transactions", async () => {
    const response = await t.app.inject({
      method: 'DELETE',
      url: '/v1/me/consents/matching',
      headers: as(ADA.externalId),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      purpose: 'matching',
      deleted: {
        transactions: 0,
        reveals: 0,
        guesses: 0,
        candidates: 1,
        candidateEntries: 3,
        runSnapshots: 1,
      },
      endedMatches: 1,
    });
    expect(
      await t.db
        .selectFrom('transactions')
        .select('transaction_id')
        .where('user_id', '=', world.ada)
        .execute(),
    ).toHaveLength(3);
    const today = await t.db
      .selectFrom('matches')
      .select('ended_reason')
      .where('match_id', '=', MATCH_TODAY)
      .execute();
    expect(today).toEqual([{ ended_reason: 'consent_withdrawn' }, { ended_reason: 'consent_withdrawn' }]);
    expect((await pool(world.ben))?.candidate_ids).toEqual([world.cal, world.cal]);
  });
});

describe('DELETE /v1/me', () => {
  it('erases every row of the user in every table, audits without PII, and lets the token start afresh', async () => {
    const response = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: as(ADA.externalId) });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');

    expect(await tablesContaining(t.db, ADA.internalId)).toEqual({});
    for (const needle of PII) expect(await tablesContaining(t.db, needle)).toEqual({});
    expect(t.logs.length).toBeGreaterThan(0);
    for (const needle of TRACES) expect(t.logs.join('\n')).not.toContain(needle);
    const audit = await expectAuditWithoutPii();
    expect(audit.filter((r) => r.action === 'user.erase')).toMatchObject([
      {
        actor: expect.stringMatching(/^user:[0-9a-f]{32}$/) as unknown,
        request_id: expect.any(String) as unknown,
      },
    ]);

    // Others keep their own data; their pools lost her, aligned.
    expect((await pool(world.ben))?.candidate_ids).toEqual([world.cal, world.cal]);
    expect((await pool(world.cal))?.candidate_ids).toEqual([]);
    expect((await shardPool(world.ben))?.candidate_ids).toEqual([world.cal]);
    expect(await t.db.selectFrom('users').select('external_id').orderBy('external_id').execute()).toEqual([
      { external_id: BEN.externalId },
      { external_id: CAL.externalId },
    ]);
    expect(await t.db.selectFrom('transactions').select('transaction_id').execute()).toHaveLength(3);
    expect(
      await t.db.selectFrom('profiles').select('display_name').orderBy('display_name').execute(),
    ).toEqual([{ display_name: BEN.displayName }, { display_name: CAL.displayName }]);
    // The transaction id registry keeps its ids: re-delivering them stays a duplicate.
    expect(await t.db.selectFrom('transaction_ids').select('transaction_id').execute()).toHaveLength(6);

    // The same token starts again as a new, empty user.
    expect(
      (await t.app.inject({ method: 'GET', url: '/v1/me/profile', headers: as(ADA.externalId) })).statusCode,
    ).toBe(404);
    const data = await t.app.inject({ method: 'GET', url: '/v1/me/data', headers: as(ADA.externalId) });
    expect(data.json()).toMatchObject({ profile: null, transactions: [], matches: [], consentEvents: [] });
    const grant = await t.app.inject({
      method: 'POST',
      url: '/v1/me/consents',
      headers: as(ADA.externalId),
      payload: { purpose: 'matching', policyVersion: 'v2' },
    });
    expect(grant.statusCode).toBe(201);
    const fresh = await t.db
      .selectFrom('users')
      .select('id')
      .where('external_id', '=', ADA.externalId)
      .execute();
    expect(fresh).toHaveLength(1);
    expect(fresh[0]?.id).not.toBe(ADA.internalId);

    // Erasing nobody is a no-op 204 and writes no audit entry.
    const ghost = await t.app.inject({ method: 'DELETE', url: '/v1/me', headers: as('never-seen') });
    expect(ghost.statusCode).toBe(204);
    expect(
      (await t.db.selectFrom('audit_log').select('action').where('action', '=', 'user.erase').execute())
        .length,
    ).toBe(1);
  });
});
