import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/types.ts';
import { createApiKey } from '../../helpers/app.ts';

/**
 * A small world around one user, "Ada", with a row in every table of the schema that can hold a
 * user: her data as owner, and her id inside other users' rows (candidate arrays, the other side
 * of matches, blocks and reports both ways, run pairs). Ada's internal id is distinctive
 * (987654321) so that a scan of every table's rows as text finds any trace of her.
 */
export const ADA = {
  externalId: 'ext-ada-7f3a',
  internalId: '987654321',
  displayName: 'Ada Quillfeather',
  contactHandle: 'ada.quill@example.org',
};
export const BEN = {
  externalId: 'ext-ben-19c2',
  displayName: 'Ben Harrowgate',
  contactHandle: '@ben_harrow',
};
export const CAL = { externalId: 'ext-cal-88d0', displayName: 'Cal Wendimere', contactHandle: '@cal_wendi' };

export const TODAY = '2026-11-22';
export const PAST = '2026-11-01';
export const MATCH_TODAY = '11111111-1111-4111-8111-111111111111';
export const MATCH_PAST = '22222222-2222-4222-8222-222222222222';
export const MATCH_BEN_CAL = '33333333-3333-4333-8333-333333333333';

export type World = {
  ada: string;
  ben: string;
  cal: string;
  merchants: string[];
  runId: string;
  clientId: string;
};

const profile = (
  userId: string,
  person: { displayName: string; contactHandle: string },
  gender: string,
) => sql`
  INSERT INTO profiles (user_id, display_name, birth_year, gender, seeking, age_min, age_max, city, timezone,
                        contact_handle, only_verified, allow_guess_game)
  VALUES (${userId}, ${person.displayName}, 1994, ${gender}, ARRAY['woman','man']::text[], 20, 50, 'Shanghai',
          'Asia/Shanghai', ${person.contactHandle}, false, true)
`;

export async function seedWorld(db: Kysely<Database>): Promise<World> {
  const ada = ADA.internalId;
  await sql`INSERT INTO users (id, external_id, verified, trusted) OVERRIDING SYSTEM VALUE
            VALUES (${ada}, ${ADA.externalId}, true, true)`.execute(db);
  const others = await db
    .insertInto('users')
    .values([{ external_id: BEN.externalId }, { external_id: CAL.externalId }])
    .returning(['id', 'external_id'])
    .execute();
  const ben = others.find((u) => u.external_id === BEN.externalId)?.id ?? '';
  const cal = others.find((u) => u.external_id === CAL.externalId)?.id ?? '';

  await profile(ada, ADA, 'woman').execute(db);
  await profile(ben, BEN, 'man').execute(db);
  await profile(cal, CAL, 'man').execute(db);

  const consent = (userId: string, purpose: string, action: string, at: string) => ({
    user_id: userId,
    purpose: purpose as 'transactions' | 'matching',
    action: action as 'grant' | 'withdraw',
    policy_version: 'v1',
    at,
  });
  await db
    .insertInto('consent_events')
    .values(
      [ada, ben, cal].flatMap((id) => [
        consent(id, 'transactions', 'grant', '2026-10-01T00:00:00Z'),
        consent(id, 'matching', 'grant', '2026-10-01T00:00:00Z'),
      ]),
    )
    .execute();

  const merchantRows = await db
    .insertInto('merchants')
    .values([
      { external_id: 'mer-tea', name: 'Jade Leaf Tea House', category: 'tea', city: 'Shanghai' },
      { external_id: 'mer-books', name: 'Riverbend Books', category: 'books', city: 'Shanghai' },
      { external_id: 'mer-gym', name: 'Iron Lotus Gym', category: 'fitness', city: 'Shanghai' },
    ])
    .returning('id')
    .execute();
  const merchants = merchantRows.map((m) => m.id);
  const [tea = '', books = '', gym = ''] = merchants;

  const { clientId } = await createApiKey(db, 'platform');
  const transaction = (userId: string, id: string, merchantId: string, at: string) => ({
    user_id: userId,
    client_id: clientId,
    transaction_id: id,
    merchant_id: merchantId,
    amount_cents: 2500,
    currency: 'CNY',
    occurred_at: at,
  });
  const transactions = [
    transaction(ada, 'tx-ada-1', tea, '2026-11-20T03:00:00Z'),
    transaction(ada, 'tx-ada-2', tea, '2026-11-21T03:00:00Z'),
    transaction(ada, 'tx-ada-3', books, '2026-11-19T08:00:00Z'),
    transaction(ben, 'tx-ben-1', tea, '2026-11-20T04:00:00Z'),
    transaction(ben, 'tx-ben-2', gym, '2026-11-18T11:00:00Z'),
    transaction(cal, 'tx-cal-1', books, '2026-11-17T09:00:00Z'),
  ];
  await db.insertInto('transactions').values(transactions).execute();
  await db
    .insertInto('transaction_ids')
    .values(transactions.map((t) => ({ client_id: clientId, transaction_id: t.transaction_id })))
    .execute();

  const run = await sql<{ id: string }>`
    INSERT INTO scoring_runs (business_date, status, weight_set_id, weight_params, triggered_by)
    SELECT ${TODAY}, 'published', id, params, 'test' FROM weight_sets ORDER BY id LIMIT 1
    RETURNING id`.execute(db);
  const runId = run.rows[0]?.id ?? '';

  // Ada's own pool; Ben's pool holds Ada in the middle; Cal's pool holds Ada alone.
  await sql`
    INSERT INTO candidates (run_id, user_id, candidate_ids, scores, overlap_scores, co_presences, spend_levels, shared_counts)
    VALUES
      (${runId}, ${ada}, ARRAY[${ben}, ${cal}]::bigint[], '{0.9,0.4}', '{0.8,0.3}', '{0.1,0}', '{0.9,0.5}', '{3,2}'),
      (${runId}, ${ben}, ARRAY[${cal}, ${ada}, ${cal}]::bigint[], '{0.7,0.9,0.2}', '{0.6,0.8,0.1}', '{0,0.1,0}', '{0.5,0.9,0.4}', '{2,3,2}'),
      (${runId}, ${cal}, ARRAY[${ada}]::bigint[], '{0.4}', '{0.3}', '{0}', '{0.5}', '{2}')
  `.execute(db);
  const match = (userId: string, counterpart: string, date: string, matchId: string, alias: string) => sql`
    INSERT INTO matches (user_id, match_date, match_id, run_id, counterpart_id, alias, score, shared_bucket,
                         top_categories, crossed_paths)
    VALUES (${userId}, ${date}, ${matchId}, ${runId}, ${counterpart}, ${alias}, 72, '3-4', ARRAY['tea']::text[], true)`;
  await match(ada, ben, TODAY, MATCH_TODAY, 'Quiet Heron').execute(db);
  await match(ben, ada, TODAY, MATCH_TODAY, 'Amber Fox').execute(db);
  await match(ada, cal, PAST, MATCH_PAST, 'Silver Wren').execute(db);
  await match(cal, ada, PAST, MATCH_PAST, 'Amber Fox').execute(db);
  await match(ben, cal, '2026-11-05', MATCH_BEN_CAL, 'Blue Owl').execute(db);
  await match(cal, ben, '2026-11-05', MATCH_BEN_CAL, 'Red Kite').execute(db);

  await db
    .insertInto('decisions')
    .values([
      { match_id: MATCH_TODAY, user_id: ada, decision: 'like' },
      { match_id: MATCH_TODAY, user_id: ben, decision: 'like' },
      { match_id: MATCH_PAST, user_id: cal, decision: 'pass' },
      { match_id: MATCH_BEN_CAL, user_id: ben, decision: 'pass' },
    ])
    .execute();
  await db
    .insertInto('guesses')
    .values([
      { match_id: MATCH_TODAY, user_id: ada, merchant_id: tea, correct: true },
      { match_id: MATCH_TODAY, user_id: ben, merchant_id: gym, correct: false },
      { match_id: MATCH_PAST, user_id: cal, merchant_id: books, correct: true },
      { match_id: MATCH_BEN_CAL, user_id: cal, merchant_id: books, correct: false },
    ])
    .execute();
  await db
    .insertInto('reveals')
    .values([
      { user_id: ada, merchant_id: tea },
      { user_id: ben, merchant_id: gym },
    ])
    .execute();
  await db
    .insertInto('blocks')
    .values([
      { blocker_id: ada, blocked_id: cal },
      { blocker_id: ben, blocked_id: ada },
    ])
    .execute();
  await db
    .insertInto('reports')
    .values([
      {
        reporter_id: ada,
        reported_id: cal,
        match_id: MATCH_PAST,
        reason: 'spam',
        note: 'Ada wrote this note',
      },
      { reporter_id: ben, reported_id: ada, match_id: MATCH_TODAY, reason: 'other', note: null },
    ])
    .execute();
  await db
    .insertInto('audit_log')
    .values({ actor: 'system', action: 'seed', details: JSON.stringify({ rows: 1 }) })
    .execute();

  // The nightly pipeline's working tables (migration 20261122T0100_pipeline).
  await sql`
    INSERT INTO run_users (run_id, user_id, city, shard, gender, seeking, age, age_min, age_max, verified, only_verified)
    SELECT ${runId}, id, 'Shanghai', 0, 'woman', ARRAY['man']::text[], 32, 20, 50, false, false
    FROM users WHERE id IN (${ada}, ${ben}, ${cal})`.execute(db);
  await sql`
    INSERT INTO run_merchants (run_id, idx, merchant_id, category, df)
    VALUES (${runId}, 0, ${tea}, 'tea', 2), (${runId}, 1, ${books}, 'books', 2)`.execute(db);
  await sql`
    INSERT INTO run_features (run_id, user_id, merchant_ids, visits, last_days, visit_minutes, amount_cents, txn_count)
    VALUES (${runId}, ${ada}, ARRAY[${tea}, ${books}]::bigint[], '{2,1}', '{28,27}', '{100,200,300}', 7500, 3),
           (${runId}, ${ben}, ARRAY[${tea}]::bigint[], '{1}', '{28}', '{150}', 2500, 1)`.execute(db);
  // The score shards' pools (migration 20261122T0600_run_pools): Ada's own, and Ben's holding Ada.
  await sql`
    INSERT INTO run_pools (run_id, user_id, shard, candidate_ids, overlap_scores, co_presences, shared_counts)
    VALUES (${runId}, ${ada}, 0, ARRAY[${ben}]::bigint[], '{0.8}', '{0.1}', '{3}'),
           (${runId}, ${ben}, 0, ARRAY[${cal}, ${ada}]::bigint[], '{0.6,0.8}', '{0,0.1}', '{2,3}')`.execute(
    db,
  );
  await sql`
    INSERT INTO run_pairs (run_id, user_a, user_b, score, overlap, co_presence, spend_level, shared_count)
    VALUES (${runId}, LEAST(${ada}::bigint, ${ben}::bigint), GREATEST(${ada}::bigint, ${ben}::bigint), 0.72, 0.8, 0.1, 0.9, 3)
  `.execute(db);

  return { ada, ben, cal, merchants, runId, clientId };
}

/** Every table of the public schema (partitions included), from the catalog: a new table is caught. */
export async function allTables(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ORDER BY table_name`.execute(db);
  return rows.map((r) => r.table_name);
}

/** Tables (parents only) with at least one row whose text form contains `needle`, with the count. */
export async function tablesContaining(
  db: Kysely<Database>,
  needle: string,
): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  const { rows: parents } = await sql<{ table_name: string }>`
    SELECT c.relname AS table_name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname`.execute(db);
  for (const { table_name } of parents) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(table_name)} AS r WHERE strpos(r::text, ${needle}) > 0
    `.execute(db);
    const n = rows[0]?.n ?? 0;
    if (n > 0) found[table_name] = n;
  }
  return found;
}

/** Tables (parents only) with a foreign key to `users`: each must hold a seeded row of Ada's. */
export async function tablesReferencingUsers(db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT DISTINCT c.relname AS table_name
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
    WHERE k.contype = 'f' AND k.confrelid = 'public.users'::regclass AND NOT c.relispartition
    ORDER BY c.relname`.execute(db);
  return rows.map((r) => r.table_name);
}
