import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  helmetHeaders,
  registerSecurityHeaders,
  type SecurityPolicy,
} from '../../../src/plugins/security-headers.ts';

const POLICIES: Record<string, SecurityPolicy> = {
  defaults: {},
  'the API policy': {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'sha256-abc'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
      },
    },
  },
  'policies switched off and tuned': {
    contentSecurityPolicy: false,
    hsts: { maxAge: 60, includeSubDomains: false },
    referrerPolicy: { policy: ['origin', 'no-referrer'] },
    xFrameOptions: { action: 'deny' },
  },
};

/** The security headers a response carries (those helmet may set), by lower-case name. */
async function responseHeaders(register: (app: FastifyInstance) => Promise<void>, url = '/') {
  const app = Fastify();
  await register(app);
  app.get('/', () => ({ ok: true }));
  app.get('/own', { helmet: { contentSecurityPolicy: { directives: { defaultSrc: ["'none'"] } } } }, () => ({
    ok: 1,
  }));
  app.get('/none', { helmet: false }, () => ({ ok: 2 }));
  const response = await app.inject({ method: 'GET', url });
  await app.close();
  const { headers } = response;
  const security = Object.keys(headers).filter(
    (name) => !['content-type', 'content-length', 'date', 'connection'].includes(name),
  );
  return Object.fromEntries(security.sort().map((name) => [name, headers[name]]));
}

describe('security headers computed once', () => {
  for (const [name, policy] of Object.entries(POLICIES)) {
    it(`equal @fastify/helmet's per-request headers: ${name}`, async () => {
      const reference = await responseHeaders(async (app) => {
        await app.register(fastifyHelmet, policy);
      });
      const ours = await responseHeaders((app) => registerSecurityHeaders(app, policy));
      expect(Object.keys(reference).length).toBeGreaterThan(3);
      expect(ours).toEqual(reference);
    });
  }

  it("leave a route's own policy, or its opt-out, to @fastify/helmet", async () => {
    const policy = POLICIES['the API policy'] ?? {};
    for (const url of ['/own', '/none']) {
      const reference = await responseHeaders(async (app) => {
        await app.register(fastifyHelmet, policy);
      }, url);
      expect(await responseHeaders((app) => registerSecurityHeaders(app, policy), url)).toEqual(reference);
    }
    const own = await responseHeaders((app) => registerSecurityHeaders(app, policy), '/own');
    expect(own['content-security-policy']).toMatch(/^default-src 'none';/);
    expect(await responseHeaders((app) => registerSecurityHeaders(app, policy), '/none')).toEqual({});
  });

  it('refuse a policy that varies per request', () => {
    expect(() => helmetHeaders({ enableCSPNonces: true })).toThrow(/per request/);
    expect(() =>
      helmetHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ['self'] } } }),
    ).toThrow();
  });
});
