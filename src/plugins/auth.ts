import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import {
  API_KEY_PREFIX,
  hashApiKey,
  type ApiClientRepository,
} from '../modules/api-clients/api-clients.repository.ts';
import { ErrorBody } from './errors.ts';
import { createJwtVerifier, JwtError, type Role, type UserClaims } from './jwt.ts';

/**
 * Authentication and route guards.
 *
 * Every request is identified once, in a root `onRequest` hook, before rate limits (which key by
 * principal): `Authorization: Bearer kdk_…` is a service client's API key, looked up by SHA-256
 * in `api_clients` (not revoked); any other bearer is an HS256 JWT of a user, analyst or admin.
 * A missing or bad credential leaves `request.principal` null; only guarded routes refuse it:
 *
 * | situation                                                   | status | code                    |
 * |-------------------------------------------------------------|--------|-------------------------|
 * | no `Authorization` header                                   | 401    | `unauthenticated`       |
 * | malformed header, bad/expired JWT, unknown or revoked key   | 401    | `invalid_credentials`   |
 * | API key on a user/analyst route, or JWT on a service route  | 403    | `wrong_credential_type` |
 * | right credential type, wrong role or missing scope          | 403    | `forbidden`             |
 */

export type Principal =
  { kind: 'user'; userId: string; role: Role } | { kind: 'client'; clientId: string; scopes: string[] };

export type AuthFailure = 'missing' | 'invalid';

/** What a guarded route needs: one of these roles (JWT) or this scope (API key). */
export type AuthRequirement = { kind: 'user'; roles: Role[] } | { kind: 'client'; scope: string };

export type Guard = ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) & {
  readonly requirement: AuthRequirement;
};

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    authFailure: AuthFailure | null;
  }
  interface FastifyInstance {
    /** Role `user` JWT only. */
    requireUser: Guard;
    /** A JWT with one of these roles. */
    requireRole: (...roles: Role[]) => Guard;
    /** An API key holding this scope. */
    requireScope: (scope: string) => Guard;
  }
  interface FastifyContextConfig {
    /** Same as adding the matching guard to `onRequest`. */
    auth?: AuthRequirement;
  }
}

export const USER_SECURITY = 'userJwt';
export const CLIENT_SECURITY = 'apiKey';

const unauthenticated = (failure: AuthFailure | null): AppError =>
  failure === 'invalid'
    ? new AppError(401, 'invalid_credentials', 'the bearer credential is invalid, expired or revoked')
    : new AppError(401, 'unauthenticated', 'send Authorization: Bearer <token or API key>');

/** Checks the request's principal against a requirement; throws the 401/403 of the table above. */
export function checkRequirement(request: FastifyRequest, requirement: AuthRequirement): void {
  const principal = request.principal;
  if (principal === null) throw unauthenticated(request.authFailure);
  if (principal.kind !== requirement.kind) {
    throw new AppError(
      403,
      'wrong_credential_type',
      requirement.kind === 'user'
        ? 'this route takes a user token, not an API key'
        : 'this route takes an API key, not a user token',
    );
  }
  if (
    requirement.kind === 'user' &&
    principal.kind === 'user' &&
    !requirement.roles.includes(principal.role)
  ) {
    throw new AppError(403, 'forbidden', `this route needs role ${requirement.roles.join(' or ')}`);
  }
  if (
    requirement.kind === 'client' &&
    principal.kind === 'client' &&
    !principal.scopes.includes(requirement.scope)
  ) {
    throw new AppError(403, 'forbidden', `this route needs scope ${requirement.scope}`);
  }
}

export function createGuard(requirement: AuthRequirement): Guard {
  const guard = (request: FastifyRequest): Promise<void> => {
    checkRequirement(request, requirement);
    return Promise.resolve();
  };
  return Object.assign(guard, { requirement });
}

const isGuard = (hook: unknown): hook is Guard =>
  typeof hook === 'function' && 'requirement' in hook && typeof hook.requirement === 'object';

const hooksOf = (value: unknown): unknown[] =>
  Array.isArray(value) ? (value as unknown[]) : value === undefined ? [] : [value];

/**
 * Adds the guard of `config.auth`, moves every `onRequest` guard after the route's other
 * `onRequest` hooks (the rate limit among them, so refused credentials are still counted), and
 * documents each guarded route's security scheme and 401/403 responses.
 */
function onGuardedRoute(route: RouteOptions): void {
  const configured = route.config?.auth;
  const onRequest = hooksOf(route.onRequest);
  const guardsFirst = [
    ...(configured === undefined ? [] : [createGuard(configured)]),
    ...onRequest.filter(isGuard),
  ];
  if (guardsFirst.length > 0) {
    route.onRequest = [...onRequest.filter((h) => !isGuard(h)), ...guardsFirst] as NonNullable<
      RouteOptions['onRequest']
    >;
  }
  const guards = [...hooksOf(route.onRequest), ...hooksOf(route.preHandler)].filter(isGuard);
  const first = guards[0];
  if (first === undefined) return;
  const schema = (route.schema ??= {});
  const response = (schema.response ?? {}) as Record<string, unknown>;
  schema.response = { 401: ErrorBody, 403: ErrorBody, ...response };
  if (schema.security === undefined) {
    schema.security = [{ [first.requirement.kind === 'user' ? USER_SECURITY : CLIENT_SECURITY]: [] }];
  }
}

export type AuthDeps = {
  config: Pick<Config, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>;
  clock: Clock;
  apiClients: Pick<ApiClientRepository, 'findActiveByHash'>;
};

/** Identifies the caller; never throws for a bad credential (guards do), only for an outage. */
async function identify(
  request: FastifyRequest,
  deps: AuthDeps,
  verify: (token: string, now: Date) => UserClaims,
): Promise<void> {
  request.principal = null;
  request.authFailure = null;
  const header = request.headers.authorization;
  if (header === undefined || header === '') {
    request.authFailure = 'missing';
    return;
  }
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header);
  const credential = match?.[1];
  if (credential === undefined) {
    request.authFailure = 'invalid';
    return;
  }
  if (credential.startsWith(API_KEY_PREFIX)) {
    const client = await deps.apiClients.findActiveByHash(hashApiKey(credential));
    if (client === undefined) request.authFailure = 'invalid';
    else request.principal = { kind: 'client', clientId: client.id, scopes: client.scopes };
    return;
  }
  try {
    const claims = verify(credential, deps.clock.now());
    request.principal = { kind: 'user', userId: claims.sub, role: claims.role };
  } catch (error) {
    if (!(error instanceof JwtError)) throw error;
    request.log.info({ reason: error.reason }, 'bearer token refused');
    request.authFailure = 'invalid';
  }
}

/** Installs identification (a root `onRequest` hook) and the guard decorators on the root. */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);
  app.decorate('requireUser', createGuard({ kind: 'user', roles: ['user'] }));
  app.decorate('requireRole', (...roles: Role[]) => createGuard({ kind: 'user', roles }));
  app.decorate('requireScope', (scope: string) => createGuard({ kind: 'client', scope }));
  const verify = createJwtVerifier({
    secret: deps.config.JWT_SECRET,
    issuer: deps.config.JWT_ISSUER,
    audience: deps.config.JWT_AUDIENCE,
  });
  app.addHook('onRequest', (request) => identify(request, deps, verify));
}

/**
 * Installs the `config.auth` route option and the guard ordering/documentation. Call it after
 * registering the rate limit: onRoute hooks run in registration order, and this one must see
 * the rate-limit hook already attached to the route to place the guards after it.
 */
export function registerGuards(app: FastifyInstance): void {
  app.addHook('onRoute', onGuardedRoute);
}
