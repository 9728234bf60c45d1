import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../../src/queue/names.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

type ErrorJson = { error: { code: string; message: string; details: { path: string; message: string }[] } };

let t: TestApp;
// A queue prefix of this file alone: the board must read the queues of the app's own prefix.
const QUEUE_PREFIX = `{kt-${randomUUID().slice(0, 8)}}`;

beforeAll(async () => {
  t = await createTestApp({ config: { QUEUE_PREFIX } });
  await t.deps.queues.queues.prepare.add(
    QUEUE.prepare,
    { date: '2026-11-22', attempt: 1 },
    { jobId: 'board-test' },
  );
});
afterAll(async () => {
  await Promise.all(Object.values(t.deps.queues.queues).map((queue) => queue.obliterate({ force: true })));
  await t.close();
});

const admin = () => bearer(userToken('ops-admin-1', 'admin'));
const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });
const cookieHeader = (token: string) => ({ cookie: `kindred_admin=${token}` });
const errorOf = (body: string): ErrorJson['error'] => (JSON.parse(body) as ErrorJson).error;

/** The first script the board's page loads, as a path under /admin/queues/. */
async function firstScriptUrl(): Promise<string> {
  const page = await get('/admin/queues', admin());
  const src = /<script defer src="([^"]+)"/.exec(page.body)?.[1];
  expect(src).toMatch(/^static\/js\/.+\.js$/);
  return `/admin/queues/${String(src)}`;
}

/** Parses one Set-Cookie header into its value and attributes (lower-cased names). */
function parseSetCookie(header: string | string[] | undefined): {
  value: string;
  attributes: Map<string, string>;
} {
  expect(typeof header).toBe('string');
  const [pair = '', ...attributes] = String(header).split(/;\s*/);
  expect(pair.startsWith('kindred_admin=')).toBe(true);
  return {
    value: pair.slice('kindred_admin='.length),
    attributes: new Map(
      attributes.map((a) => {
        const [name = '', value = ''] = a.split('=');
        return [name.toLowerCase(), value];
      }),
    ),
  };
}

describe('/admin/queues (Bull Board)', () => {
  it('refuses the page, its API and its assets without credentials: 401 in the project error shape', async () => {
    for (const url of ['/admin/queues', '/admin/queues/api/queues', await firstScriptUrl()]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(401);
      expect(errorOf(res.body).code, url).toBe('unauthenticated');
    }
    const head = await t.app.inject({ method: 'HEAD', url: '/admin/queues' });
    expect(head.statusCode).toBe(401);
    const pause = await t.app.inject({ method: 'PUT', url: '/admin/queues/api/queues/pause' });
    expect(pause.statusCode).toBe(401);
    expect(await t.deps.queues.queues.prepare.isPaused()).toBe(false);
  });

  it('refuses analyst and user tokens (403) and bad tokens (401)', async () => {
    for (const role of ['analyst', 'user'] as const) {
      for (const url of ['/admin/queues', '/admin/queues/api/queues']) {
        const res = await get(url, bearer(userToken(`someone-${role}`, role)));
        expect(res.statusCode, `${role} ${url}`).toBe(403);
        expect(errorOf(res.body).code).toBe('forbidden');
      }
    }
    const forged = await get(
      '/admin/queues',
      bearer(userToken('ops', 'admin', { config: { JWT_SECRET: 'x'.repeat(40) } })),
    );
    expect(forged.statusCode).toBe(401);
    expect(errorOf(forged.body).code).toBe('invalid_credentials');
  });

  it('serves an admin the page, its assets and every queue of src/queue/names.ts, read from the app prefix', async () => {
    const page = await get('/admin/queues', admin());
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('<base href="/admin/queues/" />');
    expect(page.body).toContain('<title>Kindred queues</title>');
    // The board's menu links to the page where a browser signs out.
    expect(page.body).toContain('"miscLinks":[{"text":"Sign in or out","url":"/admin/sign-in"}]');

    const script = await get(await firstScriptUrl(), admin());
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');

    const api = await get('/admin/queues/api/queues', admin());
    expect(api.statusCode).toBe(200);
    const { queues } = api.json<{ queues: { name: string; counts: Record<string, number> }[] }>();
    expect(queues.map((q) => q.name).sort()).toEqual(Object.values(QUEUE).sort());
    expect(queues.find((q) => q.name === 'prepare')?.counts['waiting']).toBe(1);
  });

  it('relaxes the content security policy for the board only: inline styles and Google Fonts, scripts self', async () => {
    const board = String((await get('/admin/queues', admin())).headers['content-security-policy']);
    const directive = (csp: string, name: string) =>
      csp
        .split(';')
        .find((d) => d.startsWith(`${name} `))
        ?.split(' ')
        .slice(1) ?? [];
    expect(directive(board, 'style-src')).toEqual(
      expect.arrayContaining(["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com']),
    );
    expect(directive(board, 'font-src')).toContain('https://fonts.gstatic.com');
    expect(directive(board, 'script-src')).toEqual(["'self'"]);
    const elsewhere = String((await get('/health/live')).headers['content-security-policy']);
    expect(directive(elsewhere, 'style-src')).not.toContain("'unsafe-inline'");
    expect(directive(elsewhere, 'style-src')).not.toContain('https://fonts.googleapis.com');
  });

  it('keeps every board route out of OpenAPI, explicitly hidden', async () => {
    const boardRoutes = t.app.routeCatalog.filter((r) => r.url.startsWith('/admin/queues'));
    expect(boardRoutes.map((r) => r.url)).toContain('/admin/queues/api/queues');
    expect(boardRoutes.every((r) => r.hidden)).toBe(true);
    const doc = (await get('/docs/json')).json<{
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
    expect(doc.paths['/v1/admin/session']?.['post']?.security).toEqual([]);
    expect(doc.paths['/v1/admin/session']?.['delete']).toBeDefined();
  });
});

describe('the admin session cookie', () => {
  it('is set for an admin token with the right attributes, opens the board, and is cleared', async () => {
    const token = userToken('ops-admin-2', 'admin', { ttlSeconds: 1800 });
    const res = await t.app.inject({ method: 'POST', url: '/v1/admin/session', payload: { token } });
    expect(res.statusCode, res.body).toBe(204);
    const cookie = parseSetCookie(res.headers['set-cookie']);
    expect(cookie.value).toBe(token);
    expect(cookie.attributes.get('path')).toBe('/admin');
    expect(cookie.attributes.has('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Strict');
    expect(Number(cookie.attributes.get('max-age'))).toBeGreaterThan(1790);
    expect(Number(cookie.attributes.get('max-age'))).toBeLessThanOrEqual(1800);
    expect(cookie.attributes.has('secure')).toBe(false); // test config: plain HTTP allowed

    const page = await get('/admin/queues', cookieHeader(cookie.value));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const api = await get('/admin/queues/api/queues', cookieHeader(cookie.value));
    expect(api.statusCode).toBe(200);
    expect(api.json<{ queues: unknown[] }>().queues).toHaveLength(Object.values(QUEUE).length);

    const cleared = await t.app.inject({ method: 'DELETE', url: '/v1/admin/session' });
    expect(cleared.statusCode).toBe(204);
    const gone = parseSetCookie(cleared.headers['set-cookie']);
    expect(gone.value).toBe('');
    expect(gone.attributes.get('path')).toBe('/admin');
    expect(new Date(gone.attributes.get('expires') ?? '').getTime()).toBeLessThan(Date.now());
  });

  it('does not let a cookie of another role, a bad token, or a cookie beside a bad bearer in', async () => {
    for (const role of ['user', 'analyst'] as const) {
      const res = await get('/admin/queues/api/queues', cookieHeader(userToken(`cookie-${role}`, role)));
      expect(res.statusCode, role).toBe(403);
      expect(errorOf(res.body).code).toBe('forbidden');
    }
    const garbage = await get('/admin/queues', cookieHeader('not-a-jwt'));
    expect(garbage.statusCode).toBe(401);
    expect(errorOf(garbage.body).code).toBe('invalid_credentials');
    // A bearer header, even a bad one, decides alone.
    const both = await get('/admin/queues', {
      ...cookieHeader(userToken('ops-admin-3', 'admin')),
      authorization: 'Bearer not-a-jwt',
    });
    expect(both.statusCode).toBe(401);
  });

  it('has a sign-in page and script, open to anyone, naming the session and board paths', async () => {
    const html = await get('/admin/sign-in');
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.body).toContain('data-session="/v1/admin/session" data-board="/admin/queues"');
    expect(html.body).toContain('<script type="module" src="/admin/sign-in.js"></script>');
    expect(html.body).not.toContain('{{');
    const script = await get('/admin/sign-in.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('text/javascript');
    expect(script.body).toContain("method: 'POST'");
  });

  it('is never a credential for the /v1 API', async () => {
    const res = await get('/v1/analyst/runs', cookieHeader(userToken('ops-admin-4', 'admin')));
    expect(res.statusCode).toBe(401);
    expect(errorOf(res.body).code).toBe('unauthenticated');
  });

  it('refuses bad bodies and tokens in the project error shape, setting no cookie', async () => {
    const post = (payload: unknown) =>
      t.app.inject({ method: 'POST', url: '/v1/admin/session', payload: payload as object });

    const missing = await post({});
    expect(missing.statusCode).toBe(400);
    expect(errorOf(missing.body)).toMatchObject({ code: 'invalid_request' });
    expect(errorOf(missing.body).details.map((d) => d.path)).toEqual(['body.token']);

    const extra = await post({ token: userToken('ops', 'admin'), role: 'admin' });
    expect(extra.statusCode).toBe(400);

    const cases = [
      { token: 'not-a-jwt', status: 401, code: 'invalid_credentials' },
      {
        token: userToken('ops', 'admin', { now: new Date(Date.now() - 7_200_000), ttlSeconds: 60 }),
        status: 401,
        code: 'invalid_credentials',
      },
      { token: userToken('analyst-9', 'analyst'), status: 403, code: 'forbidden' },
      { token: userToken('user-9', 'user'), status: 403, code: 'forbidden' },
    ];
    for (const { token, status, code } of cases) {
      const res = await post({ token });
      expect(res.statusCode, code).toBe(status);
      expect(errorOf(res.body).code).toBe(code);
      expect(errorOf(res.body).details.map((d) => d.path)).toEqual(['body.token']);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(missing.headers['set-cookie']).toBeUndefined();
  });

  it('is Secure in production', async () => {
    const production = await createTestApp({ config: { NODE_ENV: 'production', QUEUE_PREFIX } });
    try {
      const res = await production.app.inject({
        method: 'POST',
        url: '/v1/admin/session',
        payload: { token: userToken('ops-admin-5', 'admin') },
      });
      expect(res.statusCode).toBe(204);
      expect(parseSetCookie(res.headers['set-cookie']).attributes.has('secure')).toBe(true);
    } finally {
      await production.close();
    }
  });
});
