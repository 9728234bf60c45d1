import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ErrorBody } from '../../../src/plugins/errors.ts';
import { bearer, createApiKey, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

const Ok = z.object({ ok: z.literal(true) });
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ config: { RATE_LIMIT_MAX: 3 } });
  t.app.get('/test/limited', { schema: { response: { 200: Ok } } }, () => ({ ok: true as const }));
  t.app.get(
    '/test/guarded',
    { config: { auth: { kind: 'client', scope: 'ingest' } }, schema: { response: { 200: Ok } } },
    () => ({ ok: true as const }),
  );
  t.app.get(
    '/test/strict',
    { config: { rateLimit: { max: 1, timeWindow: 60_000 } }, schema: { response: { 200: Ok } } },
    () => ({
      ok: true as const,
    }),
  );
});
afterAll(async () => {
  await t.close();
});

const hit = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

describe('rate limits on Redis', () => {
  it('answers 429 rate_limited after RATE_LIMIT_MAX requests per minute, with retry-after', async () => {
    const headers = bearer(userToken('limited-user'));
    for (let i = 0; i < 3; i += 1) expect((await hit('/test/limited', headers)).statusCode).toBe(200);
    const res = await hit('/test/limited', headers);
    expect(res.statusCode).toBe(429);
    expect(ErrorBody.parse(res.json()).error.code).toBe('rate_limited');
    expect(res.headers['retry-after']).toBeDefined();
  });

  it('keys by principal: another user, a client and an anonymous caller have their own budgets', async () => {
    expect((await hit('/test/limited', bearer(userToken('other-user')))).statusCode).toBe(200);
    const { key } = await createApiKey(t.db, 'rate-client');
    expect((await hit('/test/limited', bearer(key))).statusCode).toBe(200);
    expect((await hit('/test/limited')).statusCode).toBe(200);
  });

  it('a user cannot escape the limit by changing address', async () => {
    const headers = bearer(userToken('roaming-user'));
    for (let i = 0; i < 3; i += 1) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/test/limited',
        headers,
        remoteAddress: `10.0.0.${String(i)}`,
      });
      expect(res.statusCode).toBe(200);
    }
    const res = await t.app.inject({
      method: 'GET',
      url: '/test/limited',
      headers,
      remoteAddress: '10.0.0.99',
    });
    expect(res.statusCode).toBe(429);
  });

  it('honours a per-route config.rateLimit override', async () => {
    const headers = bearer(userToken('strict-user'));
    expect((await hit('/test/strict', headers)).statusCode).toBe(200);
    expect((await hit('/test/strict', headers)).statusCode).toBe(429);
  });

  it('counts refused credentials too: guards run after the limiter', async () => {
    const headers = bearer('kdk_not-a-real-key');
    for (let i = 0; i < 3; i += 1) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/test/guarded',
        headers,
        remoteAddress: '192.0.2.7',
      });
      expect(res.statusCode).toBe(401);
    }
    const res = await t.app.inject({
      method: 'GET',
      url: '/test/guarded',
      headers,
      remoteAddress: '192.0.2.7',
    });
    expect(res.statusCode).toBe(429);
  });

  it('exempts the health probes', async () => {
    for (let i = 0; i < 6; i += 1) expect((await hit('/health/live')).statusCode).toBe(200);
  });
});

describe('fail closed', () => {
  it('answers 503 when the rate-limit Redis is unreachable, instead of serving unlimited', async () => {
    const down = await createTestApp({ config: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      down.app.get('/test/limited', { schema: { response: { 200: Ok } } }, () => ({ ok: true as const }));
      const res = await down.app.inject({ method: 'GET', url: '/test/limited' });
      expect(res.statusCode).toBe(503);
      expect(ErrorBody.parse(res.json()).error.code).toBe('service_unavailable');
      // Probes still answer, and readiness names Redis.
      expect((await down.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const ready = await down.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'not_ready',
        checks: { postgres: { ok: true }, redis: { ok: false } },
      });
    } finally {
      await down.close();
    }
  });
});
