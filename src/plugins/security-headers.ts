import fastifyHelmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The headers helmet's middleware sets for `policy`, in its order. Only static policies are
 * supported: a directive computed per request would be computed once here.
 */
/** A helmet policy as @fastify/helmet types it (helmet's own ESM and CJS typings are distinct types). */
export type SecurityPolicy = FastifyHelmetOptions;

export function helmetHeaders(policy: SecurityPolicy): Record<string, string> {
  const { global: _global, enableCSPNonces, ...helmetPolicy } = policy;
  if (enableCSPNonces === true) throw new Error('CSP nonces are per request: not a static policy');
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(helmetPolicy as Parameters<typeof helmet>[0])(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      failure = error;
    },
  );
  if (failure !== undefined) {
    throw failure instanceof Error ? failure : new Error('helmet refused the policy', { cause: failure });
  }
  return headers;
}

/**
 * Helmet's security headers on every response. @fastify/helmet builds a new helmet middleware,
 * parsing the policy again, on every request: about a seventh of the API's CPU under load on the
 * card (bench/RESULTS.md, 2026-12-07). Here the global policy's headers are computed once and set
 * as they are. A route with its own policy (`helmet` in its options, such as the queue board) or
 * with `helmet: false` still goes through @fastify/helmet, registered with `global: false`, which
 * also keeps `reply.helmet()`.
 */
export async function registerSecurityHeaders(app: FastifyInstance, policy: SecurityPolicy): Promise<void> {
  await app.register(fastifyHelmet, { ...policy, global: false });
  const headers = helmetHeaders(policy);
  app.addHook('onRequest', (request, reply, done) => {
    // Where @fastify/helmet keeps a route's own policy (it copies the route's `helmet` option there).
    const routePolicy = (request.routeOptions.config as { helmet?: unknown }).helmet;
    if (routePolicy === undefined) void reply.headers(headers);
    done();
  });
}
