import { createReadStream, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { z } from 'zod';
import { bulkLoadTransactions } from './bulk-transactions.ts';
import { copyInLines, inTransaction } from './copy.ts';

/**
 * Bulk-loads a population written by `npm run gen` (merchants.csv, profiles.jsonl,
 * transactions.csv) straight into Postgres with COPY, for tests and benchmarks of the pipeline:
 * users `u<id>`, merchants `m<id>`, both consents granted, transactions under one service client
 * (with their ids registered in `transaction_ids`, as ingest does; see bulk-transactions.ts).
 * Not an ingestion path: the API's ingest endpoints are the only way real data comes in.
 */

const ProfileLine = z.object({
  userId: z.int().positive(),
  displayName: z.string(),
  birthYear: z.int(),
  gender: z.enum(['woman', 'man', 'nonbinary']),
  seeking: z.array(z.enum(['woman', 'man', 'nonbinary'])).min(1),
  ageMin: z.int(),
  ageMax: z.int(),
  city: z.string(),
  timezone: z.string(),
  contactHandle: z.string(),
  onlyVerified: z.boolean(),
  allowGuessGame: z.boolean(),
});

const tsv = (v: string | number | boolean): string => String(v).replace(/[\t\n\\]/g, ' ');

export type LoadCounts = { users: number; merchants: number; transactions: number };

export async function loadPopulation(pool: pg.Pool, dir: string): Promise<LoadCounts> {
  // Users, merchants and consents in one transaction; then the transactions by the bulk path.
  const small = await inTransaction(pool, async (client) => {
    const clientRow = await client.query<{ id: string }>(
      `INSERT INTO api_clients (name, key_hash, key_prefix, scopes) VALUES ('synthetic-population', $1, 'synth', '{ingest}')
       ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [randomBytes(32)],
    );
    const clientId = clientRow.rows[0]!.id;

    await client.query(`CREATE TEMP TABLE stage_merchants (merchant_id text, name text, category text, city text,
                        lat text, lng text) ON COMMIT DROP`);
    await pipeline(
      createReadStream(join(dir, 'merchants.csv')),
      client.query(copyFrom('COPY stage_merchants FROM STDIN WITH (FORMAT csv, HEADER true)')),
    );
    const merchants = await client.query(
      `INSERT INTO merchants (external_id, name, category, city, lat, lng)
       SELECT 'm' || merchant_id, name, category, nullif(city, ''), nullif(lat, '')::float8, nullif(lng, '')::float8
       FROM stage_merchants`,
    );

    const profiles = readFileSync(join(dir, 'profiles.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => ProfileLine.parse(JSON.parse(l)));
    await client.query(`CREATE TEMP TABLE stage_profiles (user_id text, display_name text, birth_year int, gender text,
                        seeking text[], age_min int, age_max int, city text, timezone text, contact_handle text,
                        only_verified boolean, allow_guess_game boolean) ON COMMIT DROP`);
    await copyInLines(
      client,
      'stage_profiles',
      profiles.map(
        (p) =>
          [
            p.userId,
            tsv(p.displayName),
            p.birthYear,
            p.gender,
            `{${p.seeking.join(',')}}`,
            p.ageMin,
            p.ageMax,
            tsv(p.city),
            tsv(p.timezone),
            tsv(p.contactHandle),
            p.onlyVerified,
            p.allowGuessGame,
          ].join('\t') + '\n',
      ),
    );
    await client.query(
      `WITH u AS (
         INSERT INTO users (external_id) SELECT 'u' || user_id FROM stage_profiles RETURNING id, external_id
       )
       INSERT INTO profiles (user_id, display_name, birth_year, gender, seeking, age_min, age_max, city, timezone,
                             contact_handle, only_verified, allow_guess_game)
       SELECT u.id, s.display_name, s.birth_year, s.gender, s.seeking, s.age_min, s.age_max, s.city, s.timezone,
              s.contact_handle, s.only_verified, s.allow_guess_game
       FROM stage_profiles s JOIN u ON u.external_id = 'u' || s.user_id`,
    );
    await client.query(
      `INSERT INTO consent_events (user_id, purpose, action, policy_version)
       SELECT u.id, p.purpose, 'grant', 'v1' FROM users u JOIN stage_profiles s ON u.external_id = 'u' || s.user_id
       CROSS JOIN (VALUES ('transactions'), ('matching')) AS p(purpose)`,
    );

    const users = await client.query<{ id: string; external_id: string }>(
      `SELECT u.id, u.external_id FROM users u JOIN stage_profiles s ON u.external_id = 'u' || s.user_id`,
    );
    const merchantRows = await client.query<{ id: string; external_id: string }>(
      `SELECT m.id, m.external_id FROM merchants m JOIN stage_merchants s ON m.external_id = 'm' || s.merchant_id`,
    );
    return {
      clientId,
      users: profiles.length,
      merchants: merchants.rowCount ?? 0,
      userIds: new Map(users.rows.map((r) => [Number(r.external_id.slice(1)), r.id])),
      merchantIds: new Map(merchantRows.rows.map((r) => [Number(r.external_id.slice(1)), r.id])),
    };
  });
  const transactions = await bulkLoadTransactions(pool, join(dir, 'transactions.csv'), small);
  return { users: small.users, merchants: small.merchants, transactions };
}
