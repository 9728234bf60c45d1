import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

type Operation = { responses: Record<string, unknown>; security?: unknown[] };

describe('OpenAPI of the user data endpoints', () => {
  it('documents each at its contract path, guarded, with its response schemas', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = response.json<{ paths: Record<string, Record<string, Operation>> }>().paths;
    const expected: [string, string, string[]][] = [
      ['/v1/me/profile', 'get', ['200', '401', '403', '404']],
      ['/v1/me/profile', 'put', ['200', '201', '400', '401', '403']],
      ['/v1/me/consents', 'get', ['200', '401', '403']],
      ['/v1/me/consents', 'post', ['200', '201', '400', '401', '403']],
      ['/v1/me/consents/{purpose}', 'delete', ['200', '400', '401', '403', '409']],
      ['/v1/me/merchants', 'get', ['200', '401', '403']],
      ['/v1/me/data', 'get', ['200', '401', '403']],
      ['/v1/me', 'delete', ['204', '401', '403']],
    ];
    for (const [path, method, statuses] of expected) {
      const operation = paths[path]?.[method];
      expect(operation, `${method} ${path}`).toBeDefined();
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(statuses));
      expect(operation?.security).toEqual([{ userJwt: [] }]);
    }
  });

  it('answers the contract paths without a trailing slash', async () => {
    for (const url of ['/v1/me/profile', '/v1/me/consents', '/v1/me/merchants', '/v1/me/data']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode).toBe(401);
    }
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/me' })).statusCode).toBe(401);
  });
});
