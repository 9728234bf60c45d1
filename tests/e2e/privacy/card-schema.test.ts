import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fixedClock } from '../../../src/clock.ts';
import { MatchCardSchema } from '../../../src/core/masking/index.ts';
import { ConnectionView } from '../../../src/modules/connections/connections.schemas.ts';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { person, seeder } from '../match/fixtures.ts';

/**
 * The card and the connection may carry exactly these fields (design sections 3 and 5). Adding a
 * field to either schema fails here until it is added to the whitelist, on purpose: a reviewer
 * then decides whether the new field can leak anything of section 6.
 */
const CARD_FIELDS = [
  'ageBand',
  'alias',
  'city',
  'decision',
  'expiresAt',
  'gender',
  'guessGame',
  'guessGame.confirmed[]',
  'guessGame.confirmed[].category',
  'guessGame.confirmed[].name',
  'guessGame.enabled',
  'guessGame.guessesLeft',
  'matchDate',
  'matchId',
  'reasons',
  'reasons.crossedPaths',
  'reasons.sharedMerchantCount',
  'reasons.topSharedCategories',
  'reasons.topSharedCategories[]',
  'revealedMerchants',
  'revealedMerchants[]',
  'revealedMerchants[].category',
  'revealedMerchants[].name',
  'score',
  'verified',
  'guessGame.confirmed',
].sort();

const CONNECTION_FIELDS = [
  'alias',
  'connectedAt',
  'matchDate',
  'matchId',
  'mine',
  'mine.contactHandle',
  'mine.reveals',
  'mine.reveals[]',
  'mine.reveals[].category',
  'mine.reveals[].name',
  'theirs',
  'theirs.contactHandle',
  'theirs.reveals',
  'theirs.reveals[]',
  'theirs.reveals[].category',
  'theirs.reveals[].name',
].sort();

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
};

/** Every property path of a JSON schema (`a.b`, `a[]`, `a[].b`); objects must be closed. */
function schemaPaths(schema: JsonSchema, resolve: (ref: string) => JsonSchema, prefix = ''): string[] {
  const s = schema.$ref === undefined ? schema : resolve(schema.$ref);
  const paths: string[] = [];
  if (s.properties !== undefined) {
    expect(s.additionalProperties, `${prefix || 'root'} must refuse extra properties`).toBe(false);
    for (const [key, child] of Object.entries(s.properties)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      paths.push(path, ...schemaPaths(child, resolve, path));
    }
  }
  if (s.items !== undefined) paths.push(`${prefix}[]`, ...schemaPaths(s.items, resolve, `${prefix}[]`));
  return paths;
}

/** Every key path of a JSON value, in the same notation (arrays must be non-empty to be seen). */
function valuePaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [`${prefix}[]`, ...value.flatMap((v) => valuePaths(v, `${prefix}[]`))];
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      return [path, ...valuePaths(v, path)];
    });
  }
  return [];
}

const unique = (paths: string[]) => [...new Set(paths)].sort();
/** Resolves `#/$defs/…` references of a standalone JSON schema. */
const localRefs =
  (root: JsonSchema & { $defs?: Record<string, JsonSchema> }) =>
  (ref: string): JsonSchema => {
    const found = root.$defs?.[ref.replace('#/$defs/', '')];
    if (found === undefined) throw new Error(`dangling ${ref}`);
    return found;
  };

let t: TestApp;
const now = new Date('2026-11-22T04:00:00Z');

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(now), config: { K_ANON: 1 } });
  const seed = seeder(t.db);
  const run = await seed.run('2026-11-22');
  const ann = await seed.user(person('wl-ann'));
  const bob = await seed.user(person('wl-bob'));
  await seed.pair(run, '2026-11-22', ann, bob);
  const shop = await seed.merchant('wl-shop', 'Whitelist Coffee');
  await seed.purchase(ann, shop, '2026-11-20T03:00:00Z');
  await seed.purchase(bob, shop, '2026-11-20T05:00:00Z');
});
afterAll(async () => {
  await t.close();
});

describe('card and connection whitelists', () => {
  it('the card schema declares exactly the whitelisted fields, all closed', () => {
    const json = z.toJSONSchema(MatchCardSchema, { io: 'output' }) as JsonSchema;
    expect(unique(schemaPaths(json, localRefs(json)))).toEqual(unique(CARD_FIELDS));
  });

  it('the connection schema declares exactly the whitelisted fields, all closed', () => {
    const json = z.toJSONSchema(ConnectionView, { io: 'output' }) as JsonSchema;
    expect(unique(schemaPaths(json, localRefs(json)))).toEqual(unique(CONNECTION_FIELDS));
  });

  it('the OpenAPI document serves the same card for GET /v1/me/match', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, { schema: JsonSchema }> }> }>
      >;
      components: { schemas: Record<string, JsonSchema> };
    }>();
    const resolve = (ref: string): JsonSchema => {
      const found = doc.components.schemas[ref.replace('#/components/schemas/', '')];
      if (found === undefined) throw new Error(`dangling ${ref}`);
      return found;
    };
    const schema = doc.paths['/v1/me/match']?.['get']?.responses['200']?.content['application/json']?.schema;
    if (schema === undefined) throw new Error('GET /v1/me/match has no 200 schema');
    expect(unique(schemaPaths(schema, resolve))).toEqual(unique(CARD_FIELDS));
  });

  it('a served card and connection carry nothing beyond the whitelists', async () => {
    const headers = (sub: string) => bearer(userToken(sub, 'user', { now }));
    for (const sub of ['wl-ann', 'wl-bob']) {
      const reveal = await t.app.inject({
        method: 'PUT',
        url: '/v1/me/reveals',
        headers: headers(sub),
        payload: { merchantIds: ['wl-shop'] },
      });
      expect(reveal.json()).toMatchObject({ refused: [] });
    }
    await t.app.inject({
      method: 'POST',
      url: '/v1/me/match/guesses',
      headers: headers('wl-ann'),
      payload: { merchantId: 'wl-shop' },
    });
    for (const sub of ['wl-ann', 'wl-bob']) {
      await t.app.inject({
        method: 'POST',
        url: '/v1/me/match/decision',
        headers: headers(sub),
        payload: { decision: 'like' },
      });
    }
    const card = (
      await t.app.inject({ method: 'GET', url: '/v1/me/match', headers: headers('wl-ann') })
    ).json<unknown>();
    expect(unique(valuePaths(card))).toEqual(unique(CARD_FIELDS));
    const connections = (
      await t.app.inject({ method: 'GET', url: '/v1/me/connections', headers: headers('wl-ann') })
    ).json<{ connections: unknown[] }>();
    expect(connections.connections).toHaveLength(1);
    expect(unique(valuePaths(connections.connections[0]))).toEqual(unique(CONNECTION_FIELDS));
  });
});
