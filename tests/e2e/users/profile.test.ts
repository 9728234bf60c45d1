import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { bearer, createApiKey, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

const NOW = '2026-11-22T10:00:00Z';
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(NOW) });
});
afterAll(async () => {
  await t.close();
});

const validProfile = {
  displayName: 'Mei',
  birthYear: 1995,
  gender: 'woman',
  seeking: ['man', 'nonbinary'],
  ageMin: 25,
  ageMax: 40,
  city: 'Shanghai',
  timezone: 'Asia/Shanghai',
  contactHandle: '@mei_sh',
  onlyVerified: false,
  allowGuessGame: true,
};

const put = (sub: string, payload: unknown) =>
  t.app.inject({
    method: 'PUT',
    url: '/v1/me/profile',
    headers: {
      ...bearer(userToken(sub, 'user', { now: new Date(NOW) })),
      'content-type': 'application/json',
    },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
const get = (sub: string) =>
  t.app.inject({
    method: 'GET',
    url: '/v1/me/profile',
    headers: bearer(userToken(sub, 'user', { now: new Date(NOW) })),
  });

const storedProfiles = async (sub: string) =>
  t.db
    .selectFrom('profiles')
    .innerJoin('users', 'users.id', 'profiles.user_id')
    .select('profiles.display_name')
    .where('users.external_id', '=', sub)
    .execute();

describe('PUT/GET /v1/me/profile', () => {
  it('404 profile_not_found before the first PUT', async () => {
    const response = await get('p-new');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ error: { code: 'profile_not_found' } });
  });

  it('creates (201), reads back, then replaces (200)', async () => {
    const created = await put('p-alice', validProfile);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toEqual({ ...validProfile, updatedAt: new Date(NOW).toISOString() });
    const read = await get('p-alice');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject(validProfile);
    const updated = await put('p-alice', { ...validProfile, city: 'Hangzhou', timezone: 'asia/shanghai' });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ city: 'Hangzhou', timezone: 'Asia/Shanghai' });
  });

  it('stores unicode, emoji and SQL-looking text literally', async () => {
    const odd = {
      ...validProfile,
      displayName: "Robert'); DROP TABLE users;-- 😀 李",
      city: '上海 🏙️',
      contactHandle: "wechat: x' OR 1=1 --",
    };
    const response = await put('p-odd', odd);
    expect(response.statusCode).toBe(201);
    expect((await get('p-odd')).json()).toMatchObject(odd);
    expect(await storedProfiles('p-odd')).toEqual([{ display_name: odd.displayName }]);
    expect(await t.db.selectFrom('users').select('id').execute()).not.toHaveLength(0);
  });

  const invalid: [string, unknown, string][] = [
    ['a userId in the body', { ...validProfile, userId: 'someone-else' }, 'body'],
    ['a wrong type', { ...validProfile, birthYear: '1995' }, 'body.birthYear'],
    ['an empty name', { ...validProfile, displayName: '' }, 'body.displayName'],
    ['a blank name', { ...validProfile, displayName: '   ' }, 'body.displayName'],
    ['a name of 101 characters', { ...validProfile, displayName: 'x'.repeat(101) }, 'body.displayName'],
    ['a control character', { ...validProfile, displayName: 'a\u0000b' }, 'body.displayName'],
    ['an unknown gender', { ...validProfile, gender: 'other' }, 'body.gender'],
    ['an empty seeking', { ...validProfile, seeking: [] }, 'body.seeking'],
    ['a repeated seeking', { ...validProfile, seeking: ['man', 'man'] }, 'body.seeking'],
    ['ageMin above ageMax', { ...validProfile, ageMin: 40, ageMax: 30 }, 'body.ageMin'],
    ['ageMin under 18', { ...validProfile, ageMin: 17 }, 'body.ageMin'],
    ['ageMax over 120', { ...validProfile, ageMax: 121 }, 'body.ageMax'],
    ['an invalid time zone', { ...validProfile, timezone: 'Mars/Olympus' }, 'body.timezone'],
    ['an offset for a time zone', { ...validProfile, timezone: '+08:00' }, 'body.timezone'],
    ['an underage birth year', { ...validProfile, birthYear: 2009 }, 'body.birthYear'],
    ['a birth year over 120 years ago', { ...validProfile, birthYear: 1905 }, 'body.birthYear'],
    ['a missing field', { ...validProfile, onlyVerified: undefined }, 'body.onlyVerified'],
  ];
  it.each(invalid)('400 for %s, naming the field, storing nothing', async (_label, payload, path) => {
    const response = await put('p-invalid', payload);
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: { code: string; details: { path: string; message: string }[] } }>();
    expect(body.error.details.map((d) => d.path)).toContain(path);
    expect(body.error.details.every((d) => d.message.length > 0)).toBe(true);
    expect(await storedProfiles('p-invalid')).toEqual([]);
  });

  it('accepts the youngest and oldest birth years of the current year', async () => {
    expect((await put('p-18', { ...validProfile, birthYear: 2008 })).statusCode).toBe(201);
    expect((await put('p-120', { ...validProfile, birthYear: 1906 })).statusCode).toBe(201);
  });

  it('400 for a __proto__ key, storing nothing', async () => {
    const response = await put(
      'p-proto',
      `{"__proto__":{"admin":true},${JSON.stringify(validProfile).slice(1)}`,
    );
    expect(response.statusCode).toBe(400);
    expect(await storedProfiles('p-proto')).toEqual([]);
  });

  it('401 without a token, 403 with an API key or an analyst token', async () => {
    const { key } = await createApiKey(t.db, 'platform');
    expect((await t.app.inject({ method: 'GET', url: '/v1/me/profile' })).statusCode).toBe(401);
    const withKey = await t.app.inject({ method: 'GET', url: '/v1/me/profile', headers: bearer(key) });
    expect(withKey.statusCode).toBe(403);
    const putWithKey = await t.app.inject({
      method: 'PUT',
      url: '/v1/me/profile',
      headers: bearer(key),
      payload: validProfile,
    });
    expect(putWithKey.statusCode).toBe(403);
    const analyst = await t.app.inject({
      method: 'GET',
      url: '/v1/me/profile',
      headers: bearer(userToken('an-analyst', 'analyst', { now: new Date(NOW) })),
    });
    expect(analyst.statusCode).toBe(403);
  });
});
