import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '../../../src/logger.ts';
import { bearer, createApiKey, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

const DISPLAY_NAME = 'Zelda Quincy-Marchetti';
const CONTACT = '@zelda.private.handle';
const AMOUNT = 987_654_321;
const BIRTH_YEAR = 1987;

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ config: { LOG_LEVEL: 'trace' } });
  const Body = z.object({
    displayName: z.string(),
    contactHandle: z.string(),
    birthYear: z.number(),
    transactions: z.array(z.object({ userId: z.string(), amountCents: z.number() })),
  });
  // A careless handler that logs what it received: redaction must still hold.
  t.app.post(
    '/test/echo/:userId',
    { schema: { body: Body, response: { 200: z.object({ ok: z.boolean() }) } } },
    (request) => {
      request.log.info({ body: request.body }, 'received body');
      request.log.info(request.body, 'received fields');
      request.log.info({ payload: request.body }, 'received payload');
      request.log.info({ headers: request.headers }, 'received headers');
      return { ok: true };
    },
  );
  t.app.post('/test/fail', { schema: { body: Body } }, () => {
    throw new Error('database said no');
  });
});
afterAll(async () => {
  await t.close();
});

const payload = {
  displayName: DISPLAY_NAME,
  contactHandle: CONTACT,
  birthYear: BIRTH_YEAR,
  transactions: [{ userId: 'platform-user-777', amountCents: AMOUNT }],
};

describe('log privacy', () => {
  it('a request carrying a token, a display name and an amount logs none of them', async () => {
    const token = userToken('subject-secret-42');
    const { key } = await createApiKey(t.db, 'log-client');
    for (const [url, credential] of [
      ['/test/echo/platform-user-777?email=z@example.com', token],
      ['/test/fail', key],
      ['/test/echo/platform-user-777', 'not-a-valid-token'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url,
        payload,
        headers: { ...bearer(credential), cookie: 'session=cookie-secret', 'x-api-key': 'header-key-secret' },
      });
      expect(res.statusCode).toBeLessThan(600);
    }
    const text = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(5);
    expect(text).toContain('received body');
    for (const secret of [
      token,
      token.split('.')[2] ?? token,
      key,
      'not-a-valid-token',
      DISPLAY_NAME,
      CONTACT,
      String(AMOUNT),
      String(BIRTH_YEAR),
      'platform-user-777',
      'subject-secret-42',
      'z@example.com',
      'cookie-secret',
      'header-key-secret',
    ]) {
      expect(text, `log leaks ${secret}`).not.toContain(secret);
    }
    // The unexpected error itself is still logged, with the request id.
    expect(t.logs.some((l) => l.includes('database said no') && l.includes('"reqId"'))).toBe(true);
  });

  it('redacts the listed fields at the depths they occur', () => {
    const lines: string[] = [];
    const log = createLogger({ LOG_LEVEL: 'info' }, { write: (s: string) => void lines.push(s) });
    log.info({
      displayName: 'a-name',
      profile: { displayName: 'b-name', contactHandle: 'b-handle', birthYear: 1901 },
      batch: { transactions: [{ amountCents: 111_111 }], items: [{ amountCents: 222_222 }] },
      transactions: [{ amountCents: 333_333 }],
      token: 'tok-secret',
      apiKey: 'kdk_secret',
      headers: { authorization: 'Bearer x-secret' },
      count: 7,
    });
    const line = lines.join('');
    for (const secret of [
      'a-name',
      'b-name',
      'b-handle',
      '1901',
      '111111',
      '222222',
      '333333',
      'tok-secret',
      'kdk_secret',
      'x-secret',
    ]) {
      expect(line, secret).not.toContain(secret);
    }
    expect(line).toContain('"count":7');
  });
});
