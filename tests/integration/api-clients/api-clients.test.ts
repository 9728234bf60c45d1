import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/types.ts';
import {
  createApiClientRepository,
  hashApiKey,
  type ApiClientRepository,
} from '../../../src/modules/api-clients/api-clients.repository.ts';
import { verifyJwt } from '../../../src/plugins/jwt.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';
import { testConfig } from '../../helpers/app.ts';

const run = promisify(execFile);

let database: TestDatabase;
let db: Kysely<Database>;
let repo: ApiClientRepository;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
  });
  repo = createApiClientRepository(db);
});
afterAll(async () => {
  if (db !== undefined) await db.destroy();
  if (database !== undefined) await database.drop();
});

describe('api client repository', () => {
  it('creates a kdk_ key of 32 random bytes and stores only its SHA-256 and a short prefix', async () => {
    const { client, key } = await repo.create({ name: 'platform-a', scopes: ['ingest'] });
    expect(key).toMatch(/^kdk_[A-Za-z0-9_-]{43}$/);
    expect(client).toMatchObject({ name: 'platform-a', scopes: ['ingest'], revokedAt: null });
    expect(key.startsWith(client.keyPrefix)).toBe(true);
    expect(client.keyPrefix.length).toBeLessThan(12);
    const row = await db
      .selectFrom('api_clients')
      .selectAll()
      .where('id', '=', client.id)
      .executeTakeFirstOrThrow();
    expect(row.key_hash.equals(hashApiKey(key))).toBe(true);
    expect(JSON.stringify(row)).not.toContain(key.slice(4));
  });

  it('finds an active client by hash, not a revoked one, and never by a wrong key', async () => {
    const { client, key } = await repo.create({ name: 'platform-b', scopes: ['ingest'] });
    expect((await repo.findActiveByHash(hashApiKey(key)))?.id).toBe(client.id);
    expect(await repo.findActiveByHash(hashApiKey(`${key}x`))).toBeUndefined();
    expect(await repo.revoke('platform-b', new Date())).toBe(true);
    expect(await repo.revoke('platform-b', new Date())).toBe(false);
    expect(await repo.findActiveByHash(hashApiKey(key))).toBeUndefined();
    expect((await repo.findByName('platform-b'))?.revokedAt).toBeInstanceOf(Date);
  });

  it('gives two keys two different values', async () => {
    const a = await repo.create({ name: 'platform-c', scopes: ['ingest'] });
    const b = await repo.create({ name: 'platform-d', scopes: ['ingest'] });
    expect(a.key).not.toBe(b.key);
    expect((await repo.list()).map((c) => c.name)).toEqual(
      expect.arrayContaining(['platform-c', 'platform-d']),
    );
  });
});

const tsx = (script: string, args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, DATABASE_URL: database.url, NODE_ENV: 'test', ...env },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );

// Each case starts a tsx process (a few seconds each on a busy machine).
const CLI_TIMEOUT_MS = 120_000;

describe('npm run api-key', () => {
  it(
    'creates (key printed once), lists (prefix only) and revokes',
    async () => {
      const created = await tsx('scripts/api-key.ts', [
        'create',
        '--name',
        'cli-client',
        '--scope',
        'ingest',
      ]);
      expect(created.code, created.stderr).toBe(0);
      const key = created.stdout.trim();
      expect(key).toMatch(/^kdk_[A-Za-z0-9_-]{43}$/);
      expect((await repo.findActiveByHash(hashApiKey(key)))?.name).toBe('cli-client');

      const listed = await tsx('scripts/api-key.ts', ['list']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toMatch(/cli-client\tkdk_\S+…\tingest\tactive/);
      expect(listed.stdout).not.toContain(key);

      const revoked = await tsx('scripts/api-key.ts', ['revoke', '--name', 'cli-client']);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(await repo.findActiveByHash(hashApiKey(key))).toBeUndefined();
      expect((await tsx('scripts/api-key.ts', ['revoke', '--name', 'cli-client'])).code).toBe(1);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'exits 2 with usage on bad arguments',
    async () => {
      const cases = [
        [],
        ['create', '--name', 'x'],
        ['create', '--name', 'x', '--scope', 'admin'],
        ['delete', '--name', 'x'],
        ['create', '--name', 'x', '--scope', 'ingest', '--bogus'],
        ['revoke'],
      ];
      const results = await Promise.all(cases.map((args) => tsx('scripts/api-key.ts', args)));
      for (const [i, result] of results.entries()) {
        expect(result.code, JSON.stringify(cases[i])).toBe(2);
        expect(result.stderr).toContain('usage: npm run api-key');
      }
    },
    CLI_TIMEOUT_MS,
  );
});

describe('npm run token', () => {
  it(
    'prints a JWT the API accepts, with the requested role and ttl',
    async () => {
      const result = await tsx('scripts/token.ts', ['--sub', 'dev-user', '--role', 'analyst', '--ttl', '2h']);
      expect(result.code, result.stderr).toBe(0);
      const config = testConfig();
      const claims = verifyJwt(
        result.stdout.trim(),
        { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
        new Date(),
      );
      expect(claims).toMatchObject({ sub: 'dev-user', role: 'analyst' });
      expect(claims.exp - (claims.iat ?? 0)).toBe(7200);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    'exits 2 with usage on bad arguments',
    async () => {
      const cases = [
        ['--sub', 'u'],
        ['--sub', 'u', '--role', 'root'],
        ['--role', 'user'],
        ['--sub', 'u', '--role', 'user', '--ttl', 'forever'],
      ];
      const results = await Promise.all(cases.map((args) => tsx('scripts/token.ts', args)));
      for (const [i, result] of results.entries()) {
        expect(result.code, JSON.stringify(cases[i])).toBe(2);
        expect(result.stderr).toContain('usage: npm run token');
      }
    },
    CLI_TIMEOUT_MS,
  );
});
