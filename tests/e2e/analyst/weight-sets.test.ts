import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { DEFAULT_WEIGHT_SET } from '../../../src/core/scoring/index.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

const NOW = '2026-11-22T10:00:00Z';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(NOW) });
});
afterAll(async () => {
  await t.close();
});

const auth = (sub = 'ana-1', role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  bearer(userToken(sub, role, { now: new Date(NOW) }));

const create = (payload: unknown, sub = 'ana-1') =>
  t.app.inject({
    method: 'POST',
    url: '/v1/analyst/weight-sets',
    headers: { ...auth(sub), 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  });
const get = (url: string, role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  t.app.inject({ method: 'GET', url, headers: auth('ana-1', role) });
const activate = (id: string, role: 'analyst' | 'admin' | 'user' = 'analyst') =>
  t.app.inject({
    method: 'POST',
    url: `/v1/analyst/weight-sets/${id}/activate`,
    headers: auth('ana-1', role),
  });

type Detail = {
  weightSet: {
    id: string;
    version: number;
    parentId: string | null;
    params: Record<string, unknown>;
    active: boolean;
  };
  parent: { id: string } | null;
  diff: { path: string; old: unknown; new: unknown }[];
};

describe('weight sets', () => {
  it('lists the seed set as version 1, active', async () => {
    const response = await get('/v1/analyst/weight-sets');
    expect(response.statusCode).toBe(200);
    const { weightSets } = response.json<{ weightSets: Detail['weightSet'][] }>();
    expect(weightSets).toHaveLength(1);
    expect(weightSets[0]).toMatchObject({ version: 1, active: true, parentId: null });
    expect(weightSets[0]?.params).toEqual(DEFAULT_WEIGHT_SET);
  });

  it('refuses users and anonymous callers', async () => {
    expect((await get('/v1/analyst/weight-sets', 'user')).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/v1/analyst/weight-sets' })).statusCode).toBe(401);
    expect((await activate('1', 'user')).statusCode).toBe(403);
  });

  it('creates the next version, child of the active set, with every default filled in and the diff', async () => {
    const response = await create({
      name: 'more co-presence',
      params: { blend: { overlap: 0.6, coPresence: 0.3, spendLevel: 0.1 }, categoryWeights: { coffee: 2 } },
      note: 'coffee shops matter',
    });
    expect(response.statusCode).toBe(201);
    const body = response.json<Detail>();
    expect(body.weightSet).toMatchObject({ version: 2, parentId: '1', active: false });
    expect(body.weightSet.params).toEqual({
      ...DEFAULT_WEIGHT_SET,
      blend: { overlap: 0.6, coPresence: 0.3, spendLevel: 0.1 },
      categoryWeights: { coffee: 2 },
    });
    expect(body.parent?.id).toBe('1');
    expect(body.diff).toEqual([
      { path: 'blend.coPresence', old: 0.1, new: 0.3 },
      { path: 'blend.overlap', old: 0.8, new: 0.6 },
      { path: 'categoryWeights.coffee', old: null, new: 2 },
    ]);

    const again = await get(`/v1/analyst/weight-sets/${body.weightSet.id}`);
    expect(again.statusCode).toBe(200);
    expect(again.json<Detail>().diff).toEqual(body.diff);
  });

  it.each([
    [{ blend: { overlap: 0.5, coPresence: 0.1, spendLevel: 0.1 } }, 'body.params.blend'],
    [{ windowDays: 4001 }, 'body.params.windowDays'],
    [{ idfExponent: -1 }, 'body.params.idfExponent'],
    [{ categoryWeights: { casino: 2 } }, 'body.params.categoryWeights'],
    [{ categoryWeights: { coffee: 9 } }, 'body.params.categoryWeights.coffee'],
    [{ topK: 300, candidatePoolSize: 200 }, 'body.params.topK'],
    [{ surprise: 1 }, 'body.params'],
  ])('400 naming the bad field for %j', async (params, path) => {
    const before = await t.db
      .selectFrom('weight_sets')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const response = await create({ name: 'bad', params });
    expect(response.statusCode).toBe(400);
    const { error } = response.json<{ error: { code: string; details: { path: string }[] } }>();
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.path).some((p) => p.startsWith(path))).toBe(true);
    const after = await t.db
      .selectFrom('weight_sets')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('400 for an unknown parent, 404 for an unknown set', async () => {
    const response = await create({ name: 'orphan', params: {}, parentId: '999999' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { details: [{ path: 'body.parentId' }] } });
    expect((await get('/v1/analyst/weight-sets/999999')).statusCode).toBe(404);
    expect((await activate('999999')).statusCode).toBe(404);
    expect((await get('/v1/analyst/weight-sets/abc')).statusCode).toBe(400);
  });

  it('activates a set (audited once), idempotently, and the list shows it', async () => {
    const created = (
      await create({ name: 'binary visits', params: { visitTransform: 'binary' } }, 'ana-2')
    ).json<Detail>();
    const id = created.weightSet.id;
    const first = await activate(id, 'admin');
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ weightSet: { id, active: true }, changed: true });
    const second = await activate(id);
    expect(second.json()).toMatchObject({ changed: false });

    const { weightSets } = (await get('/v1/analyst/weight-sets')).json<{
      weightSets: Detail['weightSet'][];
    }>();
    expect(weightSets.filter((w) => w.active).map((w) => w.id)).toEqual([id]);
    expect(weightSets.map((w) => w.version)).toEqual(
      [...weightSets.map((w) => w.version)].sort((a, b) => b - a),
    );

    const audit = await t.db
      .selectFrom('audit_log')
      .select(['action', 'actor', 'details'])
      .orderBy('id')
      .execute();
    const activations = audit.filter((a) => a.action === 'weight_set.activate');
    expect(activations).toHaveLength(1);
    expect(activations[0]?.details).toMatchObject({ weight_set_id: id, previous_weight_set_id: '1' });
    expect(audit.filter((a) => a.action === 'weight_set.create').length).toBeGreaterThanOrEqual(2);
    // Pseudonymous actors only.
    expect(JSON.stringify(audit)).not.toContain('ana-');
  });

  it('a set can never change, whether or not a run used it', async () => {
    await expect(
      t.db.updateTable('weight_sets').set({ name: 'renamed' }).where('id', '=', '1').execute(),
    ).rejects.toThrow(/append-only/);
  });

  it('concurrent creations get distinct consecutive versions', async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        create({ name: `burst ${String(i)}`, params: { idfExponent: i / 4 } }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    const versions = responses.map((r) => r.json<Detail>().weightSet.version).sort((a, b) => a - b);
    expect(new Set(versions).size).toBe(6);
    expect(versions.at(-1)! - versions[0]!).toBe(5);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/analyst/weight-sets/',
        '/v1/analyst/weight-sets/{id}',
        '/v1/analyst/weight-sets/{id}/activate',
      ]),
    );
  });
});
