import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

describe('health', () => {
  it('/health/live answers 200 without credentials', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/health/ready answers 200 when Postgres and Redis answer', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'ready',
      checks: { postgres: { ok: true }, redis: { ok: true } },
    });
  });

  it('/health/ready answers 503 naming Postgres when the pool points at a closed port', async () => {
    const down = await createTestApp({ config: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
    try {
      const started = performance.now();
      const res = await down.app.inject({ method: 'GET', url: '/health/ready' });
      expect(performance.now() - started).toBeLessThan(3_000);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        status: 'not_ready',
        checks: { postgres: { ok: false, error: 'ECONNREFUSED' }, redis: { ok: true } },
      });
      // The liveness probe does not depend on Postgres.
      expect((await down.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('sets the helmet headers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/health/live' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });
});
