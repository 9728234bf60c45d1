import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

export const API_KEY_PREFIX = 'kdk_';
export const API_SCOPES = ['ingest'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** A service client as the rest of the code sees it; the key itself is never stored. */
export type ApiClient = {
  id: string;
  name: string;
  keyPrefix: string;
  scopes: string[];
  createdAt: Date;
  revokedAt: Date | null;
};

/** SHA-256 of the whole key: a 32-byte random key needs no slow hash to resist guessing. */
export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/** `kdk_` + 32 random bytes in base64url (43 characters). */
export const generateApiKey = (): string => `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;

/** The first characters, enough to recognise a key in a listing without revealing it. */
export const keyPrefixOf = (key: string): string => key.slice(0, API_KEY_PREFIX.length + 6);

const toClient = (row: {
  id: string;
  name: string;
  key_prefix: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
}): ApiClient => ({
  id: row.id,
  name: row.name,
  keyPrefix: row.key_prefix,
  scopes: row.scopes,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

const COLUMNS = ['id', 'name', 'key_prefix', 'scopes', 'created_at', 'revoked_at'] as const;

export function createApiClientRepository(db: Kysely<Database>) {
  return {
    /** Creates a client and returns its key: the only time the key exists outside the caller. */
    async create(input: { name: string; scopes: ApiScope[] }): Promise<{ client: ApiClient; key: string }> {
      const key = generateApiKey();
      const row = await db
        .insertInto('api_clients')
        .values({
          name: input.name,
          key_hash: hashApiKey(key),
          key_prefix: keyPrefixOf(key),
          scopes: input.scopes,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return { client: toClient(row), key };
    },

    /** The active (not revoked) client owning this key hash, if any. */
    async findActiveByHash(keyHash: Buffer): Promise<ApiClient | undefined> {
      const row = await db
        .selectFrom('api_clients')
        .select(COLUMNS)
        .where('key_hash', '=', keyHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row === undefined ? undefined : toClient(row);
    },

    async findByName(name: string): Promise<ApiClient | undefined> {
      const row = await db
        .selectFrom('api_clients')
        .select(COLUMNS)
        .where('name', '=', name)
        .executeTakeFirst();
      return row === undefined ? undefined : toClient(row);
    },

    async list(): Promise<ApiClient[]> {
      const rows = await db.selectFrom('api_clients').select(COLUMNS).orderBy('id').execute();
      return rows.map(toClient);
    },

    /**
     * Replaces the key of an active client, keeping its id (and so its transaction-id registry and
     * idempotency records); the old key stops working at once. Undefined when no such client.
     */
    async rotateKey(name: string): Promise<{ client: ApiClient; key: string } | undefined> {
      const key = generateApiKey();
      const row = await db
        .updateTable('api_clients')
        .set({ key_hash: hashApiKey(key), key_prefix: keyPrefixOf(key) })
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .returning(COLUMNS)
        .executeTakeFirst();
      return row === undefined ? undefined : { client: toClient(row), key };
    },

    /** Revokes by name; returns false when no active client has that name. */
    async revoke(name: string, at: Date): Promise<boolean> {
      const result = await db
        .updateTable('api_clients')
        .set({ revoked_at: at })
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },
  };
}

export type ApiClientRepository = ReturnType<typeof createApiClientRepository>;
