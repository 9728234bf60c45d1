import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database, Gender } from '../../../src/db/types.ts';
import { createApiKey } from '../../helpers/app.ts';

/**
 * Direct writes of a small world for the daily-match tests: people with profiles and consents,
 * merchants, transactions, a published run and symmetric matches rows, as the pipeline leaves them.
 */

export type Person = {
  externalId: string;
  displayName: string;
  birthYear: number;
  gender: Gender;
  city: string;
  timezone: string;
  contactHandle: string;
  allowGuessGame: boolean;
  verified: boolean;
};

export const person = (externalId: string, overrides: Partial<Person> = {}): Person => ({
  externalId,
  displayName: `Name of ${externalId}`,
  birthYear: 1995,
  gender: 'woman',
  city: 'Shanghai',
  timezone: 'Asia/Shanghai',
  contactHandle: `@handle-${externalId}`,
  allowGuessGame: true,
  verified: false,
  ...overrides,
});

export type Seeder = ReturnType<typeof seeder>;

export function seeder(db: Kysely<Database>) {
  let clientId: string | undefined;
  const client = async (): Promise<string> => {
    clientId ??= (await createApiKey(db, `platform-${randomUUID().slice(0, 8)}`)).clientId;
    return clientId;
  };

  return {
    /** A user with a profile and, unless `consents` is false, both consents granted. */
    async user(p: Person, options: { consents?: boolean; profile?: boolean } = {}): Promise<string> {
      const row = await db
        .insertInto('users')
        .values({ external_id: p.externalId, verified: p.verified })
        .returning('id')
        .executeTakeFirstOrThrow();
      if (options.profile !== false) {
        await sql`
          INSERT INTO profiles (user_id, display_name, birth_year, gender, seeking, age_min, age_max, city,
                                timezone, contact_handle, only_verified, allow_guess_game)
          VALUES (${row.id}, ${p.displayName}, ${p.birthYear}, ${p.gender}, ARRAY['woman','man','nonbinary']::text[],
                  18, 99, ${p.city}, ${p.timezone}, ${p.contactHandle}, false, ${p.allowGuessGame})
        `.execute(db);
      }
      if (options.consents !== false) {
        await db
          .insertInto('consent_events')
          .values(
            (['transactions', 'matching'] as const).map((purpose) => ({
              user_id: row.id,
              purpose,
              action: 'grant' as const,
              policy_version: 'v1',
              at: '2026-01-01T00:00:00Z',
            })),
          )
          .execute();
      }
      return row.id;
    },

    async merchant(externalId: string, name: string, category = 'coffee'): Promise<string> {
      const row = await db
        .insertInto('merchants')
        .values({ external_id: externalId, name, category, city: 'Shanghai' })
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    },

    async purchase(
      userId: string,
      merchantId: string,
      occurredAt: string,
      amountCents = 1234,
    ): Promise<void> {
      const transactionId = `tx-${randomUUID()}`;
      const c = await client();
      await db
        .insertInto('transactions')
        .values({
          user_id: userId,
          client_id: c,
          transaction_id: transactionId,
          merchant_id: merchantId,
          amount_cents: amountCents,
          currency: 'CNY',
          occurred_at: occurredAt,
        })
        .execute();
    },

    /** `n` consenting users who bought at the merchant: the crowd that makes it k-anonymous. */
    async crowd(merchantId: string, n: number, occurredAt: string): Promise<void> {
      for (let i = 0; i < n; i += 1) {
        const id = await this.user(person(`crowd-${randomUUID().slice(0, 12)}`));
        await this.purchase(id, merchantId, occurredAt);
      }
    },

    async run(date: string, status: 'published' | 'pairing' = 'published'): Promise<string> {
      const { rows } = await sql<{ id: string }>`
        INSERT INTO scoring_runs (business_date, status, weight_set_id, weight_params, triggered_by)
        SELECT ${date}, ${status}, id, params, 'test' FROM weight_sets ORDER BY id LIMIT 1
        RETURNING id`.execute(db);
      return rows[0]?.id ?? '';
    },

    /** Both matches rows of a pair; returns the shared match id. */
    async pair(
      runId: string,
      date: string,
      a: string,
      b: string,
      options: { score?: number; bucket?: '2' | '3-4' | '5+'; categories?: string[]; crossed?: boolean } = {},
    ): Promise<string> {
      const matchId = randomUUID();
      const common = {
        match_date: date,
        match_id: matchId,
        run_id: runId,
        score: options.score ?? 73,
        shared_bucket: options.bucket ?? '3-4',
        top_categories: options.categories ?? ['coffee', 'books'],
        crossed_paths: options.crossed ?? true,
      };
      await db
        .insertInto('matches')
        .values([
          { ...common, user_id: a, counterpart_id: b, alias: 'stored alias' },
          { ...common, user_id: b, counterpart_id: a, alias: 'stored alias' },
        ])
        .execute();
      return matchId;
    },
  };
}
