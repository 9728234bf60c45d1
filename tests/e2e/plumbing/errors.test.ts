import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, notFound } from '../../../src/errors.ts';
import { ErrorBody } from '../../../src/plugins/errors.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

const BODY_LIMIT = 2_048;
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ config: { BODY_LIMIT_BYTES: BODY_LIMIT } });
  const Echo = z.object({ ok: z.literal(true), count: z.number() });
  t.app.withTypeProvider<ZodTypeProvider>().post(
    '/test/items/:listId',
    {
      schema: {
        params: z.object({ listId: z.coerce.number().int().positive() }),
        querystring: z.object({ mode: z.enum(['fast', 'slow']) }),
        headers: z.object({ 'x-tenant': z.string().min(3) }),
        body: z.object({
          name: z.string().min(1),
          transactions: z.array(z.object({ amountCents: z.number().int().positive() })),
        }),
        response: { 200: Echo, 400: ErrorBody },
      },
    },
    (request) => ({ ok: true as const, count: request.body.transactions.length }),
  );
  t.app.get('/test/no-match', { schema: { response: { 404: ErrorBody } } }, () => {
    throw notFound('no_match_today', 'no match today', { reason: 'run_pending' });
  });
  t.app.get('/test/conflict', { schema: { response: { 409: ErrorBody } } }, () => {
    throw new AppError(409, 'run_active', 'a run is active', [{ path: 'body.date', message: 'busy' }]);
  });
  t.app.get('/test/boom', { schema: { response: { 500: ErrorBody } } }, () => {
    throw new Error('secret internals: user alice@example.com row 42');
  });
  t.app.get('/test/pg-shutdown', () => {
    throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  });
  t.app.get(
    '/test/response-leak',
    { schema: { response: { 200: z.object({ alias: z.string() }) } } },
    () => ({
      alias: 'Blue Heron',
      displayName: 'Alice Secret',
    }),
  );
});
afterAll(async () => {
  await t.close();
});

const post = (payload: string, headers: Record<string, string> = {}, url = '/test/items/1?mode=fast') =>
  t.app.inject({
    method: 'POST',
    url,
    payload,
    headers: { 'content-type': 'application/json', 'x-tenant': 'acme', ...headers },
  });

const errorOf = (res: { json: () => unknown }) => ErrorBody.parse(res.json()).error;

describe('validation', () => {
  it('accepts a valid request', async () => {
    const res = await post(JSON.stringify({ name: 'n', transactions: [{ amountCents: 5 }] }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, count: 1 });
  });

  it('names every bad field path across params, body, querystring and headers', async () => {
    const res = await post(
      JSON.stringify({
        name: '',
        transactions: [{ amountCents: 1 }, { amountCents: 2 }, { amountCents: 3 }, { amountCents: -4 }, {}],
      }),
      { 'x-tenant': 'a' },
      '/test/items/zero?mode=warp',
    );
    expect(res.statusCode).toBe(400);
    const error = errorOf(res);
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.path).sort()).toEqual(
      [
        'params.listId',
        'body.name',
        'body.transactions.3.amountCents',
        'body.transactions.4.amountCents',
        'querystring.mode',
        'headers.x-tenant',
      ].sort(),
    );
    for (const detail of error.details) expect(detail.message.length).toBeGreaterThan(0);
  });
});

describe('bodies', () => {
  it('malformed JSON is 400 malformed_json', async () => {
    const res = await post('{"name": "n", "transactions": [');
    expect(res.statusCode).toBe(400);
    expect(errorOf(res)).toEqual({
      code: 'malformed_json',
      message: expect.any(String) as string,
      details: [],
    });
  });

  it('an empty JSON body is 400 malformed_json', async () => {
    const res = await post('');
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('malformed_json');
  });

  it.each([
    ['__proto__ at the top', '{"name":"n","transactions":[],"__proto__":{"isAdmin":true}}'],
    ['__proto__ nested', '{"name":"n","transactions":[{"amountCents":1,"__proto__":{"x":1}}]}'],
    ['__proto__ spelled with escapes', '{"name":"n","transactions":[],"\\u005f_proto__":{"x":1}}'],
    ['constructor.prototype', '{"name":"n","transactions":[],"constructor":{"prototype":{"x":1}}}'],
  ])('%s is 400 forbidden_json_key', async (_label, payload) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).code).toBe('forbidden_json_key');
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });

  it('a body over BODY_LIMIT_BYTES is 413 payload_too_large', async () => {
    const transactions = Array.from({ length: 200 }, () => ({ amountCents: 12345 }));
    const payload = JSON.stringify({ name: 'n', transactions });
    expect(payload.length).toBeGreaterThan(BODY_LIMIT);
    const res = await post(payload);
    expect(res.statusCode).toBe(413);
    expect(errorOf(res).code).toBe('payload_too_large');
  });

  it('an unsupported content type is 415 in the error shape', async () => {
    const res = await post('name=n', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(415);
    expect(errorOf(res).code).toBe('unsupported_media_type');
  });
});

describe('mapping', () => {
  it('an unknown route is 404 not_found', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(errorOf(res).code).toBe('not_found');
  });

  it('an AppError keeps its status, code, details and extra fields', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/no-match' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'no_match_today', message: 'no match today', details: [], reason: 'run_pending' },
    });
    const conflict = await t.app.inject({ method: 'GET', url: '/test/conflict' });
    expect(conflict.statusCode).toBe(409);
    expect(errorOf(conflict)).toEqual({
      code: 'run_active',
      message: 'a run is active',
      details: [{ path: 'body.date', message: 'busy' }],
    });
  });

  it('an unexpected error is 500 with a generic message, logged with the request id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/test/boom',
      headers: { 'x-request-id': 'boom-1' },
    });
    expect(res.statusCode).toBe(500);
    expect(errorOf(res).code).toBe('internal_error');
    expect(res.body).not.toContain('secret');
    expect(res.body).not.toContain('alice');
    const logged = t.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      logged.some(
        (l) => l['reqId'] === 'boom-1' && l['level'] === 50 && JSON.stringify(l).includes('secret internals'),
      ),
    ).toBe(true);
  });

  it('a Postgres admin shutdown is 503 service_unavailable', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/pg-shutdown' });
    expect(res.statusCode).toBe(503);
    expect(errorOf(res).code).toBe('service_unavailable');
  });

  it('the response schema drops undeclared fields', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/test/response-leak' });
    expect(res.json()).toEqual({ alias: 'Blue Heron' });
  });
});

describe('request ids', () => {
  it('echoes a sane incoming x-request-id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc.DEF_1-2' },
    });
    expect(res.headers['x-request-id']).toBe('abc.DEF_1-2');
  });

  it.each([['has spaces'], ['a'.repeat(129)], ['semi;colon'], ['ünicode']])(
    'replaces an unsafe id (%s) with a UUID',
    async (incoming) => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { 'x-request-id': incoming },
      });
      expect(res.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    },
  );

  it('puts the id on error responses and in the logs as reqId', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/nowhere',
      headers: { 'x-request-id': 'trace-404' },
    });
    expect(res.headers['x-request-id']).toBe('trace-404');
    expect(t.logs.some((l) => (JSON.parse(l) as { reqId?: string }).reqId === 'trace-404')).toBe(true);
  });
});

describe('database unavailable', () => {
  it('a pool pointed at a closed port makes queries answer 503', async () => {
    const down = await createTestApp({ config: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' } });
    try {
      down.app.get('/test/query', async () => {
        await down.db.selectFrom('users').select('id').execute();
        return { ok: true };
      });
      const res = await down.app.inject({ method: 'GET', url: '/test/query' });
      expect(res.statusCode).toBe(503);
      expect(errorOf(res).code).toBe('service_unavailable');
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await down.close();
    }
  });
});
