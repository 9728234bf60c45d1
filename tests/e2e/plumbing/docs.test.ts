import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

type Operation = { security?: unknown; responses?: Record<string, unknown>; tags?: string[] };
type OpenApi = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
};

let t: TestApp;
let doc: OpenApi;
beforeAll(async () => {
  t = await createTestApp();
  const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
  if (res.statusCode !== 200) {
    // The usual cause: two zod schemas whose `.meta({ id })` collide (X and XInput); see the log.
    throw new Error(
      `/docs/json answered ${String(res.statusCode)}: ${t.logs.filter((l) => l.includes('"level":50')).join('\n')}`,
    );
  }
  doc = res.json();
});
afterAll(async () => {
  await t.close();
});

/** fastify `/a/:id` → OpenAPI `/a/{id}`. */
const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/(.)\/$/, '$1');
const unique = (items: string[]): string[] => [...new Set(items)].sort();

describe('OpenAPI', () => {
  it('documents every route the app serves (all of registerRoutes), and nothing else', () => {
    // A prefixed '/' route is served as both '/prefix' and '/prefix/'; OpenAPI lists it once.
    const served = unique(
      t.app.routeCatalog
        .filter((r) => !r.hidden && r.method !== 'HEAD')
        .map((r) => `${r.method} ${openApiPath(r.url)}`),
    );
    const documented = unique(
      Object.entries(doc.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((m) => `${m.toUpperCase()} ${openApiPath(path)}`),
      ),
    );
    expect(served).toContain('GET /health/ready');
    expect(documented).toEqual(served);
  });

  it('gives every documented operation a response schema, a tag and the error shape for 4xx', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(Object.keys(operation.responses ?? {}), where).not.toHaveLength(0);
        expect(operation.tags ?? [], where).not.toHaveLength(0);
      }
    }
    const served = t.app.routeCatalog.filter((r) => !r.hidden && r.method !== 'HEAD');
    for (const route of served) expect(route.hasResponseSchema, `${route.method} ${route.url}`).toBe(true);
  });

  it('declares the two bearer schemes, and guarded operations use one of them', () => {
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toMatchObject({
      userJwt: { type: 'http', scheme: 'bearer' },
      apiKey: { type: 'http', scheme: 'bearer' },
    });
    for (const [path, operations] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.security, `${method.toUpperCase()} ${path} must be guarded`).toBeDefined();
      }
    }
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.headers['content-security-policy']).toContain('script-src');
  });
});
