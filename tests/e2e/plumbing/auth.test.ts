import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClientRepository } from '../../../src/modules/api-clients/api-clients.repository.ts';
import { ErrorBody } from '../../../src/plugins/errors.ts';
import {
  bearer,
  createApiKey,
  createTestApp,
  testConfig,
  userToken,
  type TestApp,
} from '../../helpers/app.ts';
import { z } from 'zod';

const config = testConfig();
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

/** A token with any header and claims, HMAC-signed with any secret. */
const craft = (
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  secret = config.JWT_SECRET,
) => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};
const goodClaims = () => ({
  sub: 'user-1',
  role: 'user',
  iss: config.JWT_ISSUER,
  aud: config.JWT_AUDIENCE,
  iat: now(),
  exp: now() + 600,
});

let t: TestApp;
let ingestKey: string;
let revokedKey: string;

beforeAll(async () => {
  t = await createTestApp();
  const Principal = z.object({ principal: z.unknown() });
  t.app.get(
    '/test/user',
    { onRequest: t.app.requireUser, schema: { response: { 200: Principal } } },
    (req) => ({
      principal: req.principal,
    }),
  );
  t.app.get(
    '/test/analyst',
    { onRequest: t.app.requireRole('analyst', 'admin'), schema: { response: { 200: Principal } } },
    (req) => ({ principal: req.principal }),
  );
  t.app.get(
    '/test/ingest',
    { preHandler: t.app.requireScope('ingest'), schema: { response: { 200: Principal } } },
    (req) => ({ principal: req.principal }),
  );
  t.app.get(
    '/test/configured',
    { config: { auth: { kind: 'user', roles: ['user'] } }, schema: { response: { 200: Principal } } },
    (req) => ({ principal: req.principal }),
  );
  ingestKey = (await createApiKey(t.db, 'platform', ['ingest'])).key;
  revokedKey = (await createApiKey(t.db, 'old-platform', ['ingest'])).key;
  await createApiClientRepository(t.db).revoke('old-platform', new Date());
});
afterAll(async () => {
  await t.close();
});

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

const expectError = (res: { statusCode: number; json: () => unknown }, status: number, code: string) => {
  expect(res.statusCode).toBe(status);
  const body = ErrorBody.parse(res.json());
  expect(body.error.code).toBe(code);
};

describe('user tokens', () => {
  it('accepts a valid user token and exposes the principal', async () => {
    const res = await get('/test/user', bearer(userToken('user-1')));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ principal: { kind: 'user', userId: 'user-1', role: 'user' } });
  });

  it('applies config.auth exactly like the onRequest guard', async () => {
    expect((await get('/test/configured', bearer(userToken('u2')))).statusCode).toBe(200);
    expectError(await get('/test/configured'), 401, 'unauthenticated');
    expectError(await get('/test/configured', bearer(ingestKey)), 403, 'wrong_credential_type');
  });

  it('answers 401 unauthenticated without a credential', async () => {
    expectError(await get('/test/user'), 401, 'unauthenticated');
  });

  it.each([
    [
      'expired',
      () => craft({ alg: 'HS256', typ: 'JWT' }, { ...goodClaims(), iat: now() - 7200, exp: now() - 3600 }),
    ],
    [
      'wrongly signed',
      () => craft({ alg: 'HS256', typ: 'JWT' }, goodClaims(), 'another-secret-of-at-least-32-characters!'),
    ],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(goodClaims())}.`],
    ['alg none with a signature', () => craft({ alg: 'none' }, goodClaims())],
    ['alg HS512', () => craft({ alg: 'HS512', typ: 'JWT' }, goodClaims())],
    ['alg RS256', () => craft({ alg: 'RS256', typ: 'JWT' }, goodClaims())],
    ['wrong audience', () => craft({ alg: 'HS256' }, { ...goodClaims(), aud: 'someone-else' })],
    ['wrong issuer', () => craft({ alg: 'HS256' }, { ...goodClaims(), iss: 'evil' })],
    ['no exp', () => craft({ alg: 'HS256' }, { ...goodClaims(), exp: undefined })],
    ['unknown role', () => craft({ alg: 'HS256' }, { ...goodClaims(), role: 'root' })],
    ['empty sub', () => craft({ alg: 'HS256' }, { ...goodClaims(), sub: '' })],
    ['sub too long', () => craft({ alg: 'HS256' }, { ...goodClaims(), sub: 'x'.repeat(129) })],
    ['garbage', () => 'not.a.token'],
  ])('refuses a token that is %s with 401 invalid_credentials', async (_label, make) => {
    expectError(await get('/test/user', bearer(make())), 401, 'invalid_credentials');
  });

  it('refuses a non-Bearer scheme', async () => {
    expectError(
      await get('/test/user', { authorization: `Basic ${userToken('u')}` }),
      401,
      'invalid_credentials',
    );
  });

  it('accepts the crafted baseline token (so the 401s above are about the one changed field)', async () => {
    expect(
      (await get('/test/user', bearer(craft({ alg: 'HS256', typ: 'JWT' }, goodClaims())))).statusCode,
    ).toBe(200);
  });

  it('answers 403 forbidden for the wrong role', async () => {
    expectError(await get('/test/user', bearer(userToken('a1', 'analyst'))), 403, 'forbidden');
    expectError(await get('/test/analyst', bearer(userToken('u1', 'user'))), 403, 'forbidden');
    expect((await get('/test/analyst', bearer(userToken('a1', 'analyst')))).statusCode).toBe(200);
    expect((await get('/test/analyst', bearer(userToken('ad1', 'admin')))).statusCode).toBe(200);
  });
});

describe('API keys', () => {
  it('accepts an active key with the scope', async () => {
    const res = await get('/test/ingest', bearer(ingestKey));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ principal: { kind: 'client', scopes: ['ingest'] } });
  });

  it('answers 403 wrong_credential_type for a user token on a service route', async () => {
    expectError(await get('/test/ingest', bearer(userToken('user-1'))), 403, 'wrong_credential_type');
  });

  it('answers 403 wrong_credential_type for an API key on a user route', async () => {
    expectError(await get('/test/user', bearer(ingestKey)), 403, 'wrong_credential_type');
    expectError(await get('/test/analyst', bearer(ingestKey)), 403, 'wrong_credential_type');
  });

  it('answers 401 for a revoked key and for an unknown key', async () => {
    expectError(await get('/test/ingest', bearer(revokedKey)), 401, 'invalid_credentials');
    expectError(await get('/test/ingest', bearer(`kdk_${'A'.repeat(43)}`)), 401, 'invalid_credentials');
  });

  it('revocation takes effect on the next request', async () => {
    const { key } = await createApiKey(t.db, 'short-lived', ['ingest']);
    expect((await get('/test/ingest', bearer(key))).statusCode).toBe(200);
    await createApiClientRepository(t.db).revoke('short-lived', new Date());
    expectError(await get('/test/ingest', bearer(key)), 401, 'invalid_credentials');
  });
});

describe('documentation of guarded routes', () => {
  it('lists the security scheme and the 401/403 responses', async () => {
    const res = await get('/docs/json');
    const doc = res.json<{
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.paths['/test/user']?.['get']?.security).toEqual([{ userJwt: [] }]);
    expect(doc.paths['/test/ingest']?.['get']?.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/test/configured']?.['get']?.security).toEqual([{ userJwt: [] }]);
    expect(Object.keys(doc.paths['/test/user']?.['get']?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '401', '403']),
    );
  });
});
