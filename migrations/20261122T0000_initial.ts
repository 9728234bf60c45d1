import { sql, type Kysely } from 'kysely';

/**
 * The initial schema. Frozen in time: it never imports from src/.
 *
 * Users and merchants carry an internal bigint surrogate key (compact for scoring, joins and
 * partitioning) and the platform's own id as `external_id`; only the latter ever crosses the API.
 * Tables that grow with users (transactions, candidates, matches) are hash-partitioned by user id
 * so that they can later move to a distributed Postgres (docs/scaling.md).
 */
const PARTITIONS = 8;

const CATEGORIES = [
  'grocery',
  'convenience',
  'coffee',
  'tea',
  'restaurant',
  'fast_food',
  'bakery',
  'bar',
  'fashion',
  'beauty',
  'electronics',
  'books',
  'sports',
  'fitness',
  'entertainment',
  'travel',
  'transport',
  'pets',
  'kids',
  'home',
  'health',
  'education',
  'online',
  'other',
];

/** The seed weight set of design section 4. */
const DEFAULT_WEIGHT_SET = {
  windowDays: 30,
  minAmountCents: 100,
  visitTransform: 'log1p',
  idfExponent: 1,
  recencyHalfLifeDays: 0,
  maxMerchantShare: 0.05,
  minSharedMerchants: 2,
  categoryWeights: {},
  normalization: 'sqrt',
  blend: { overlap: 0.8, coPresence: 0.1, spendLevel: 0.1 },
  coPresenceMinutes: 120,
  candidatePoolSize: 200,
  topK: 50,
  repeatCooldownDays: 90,
};

async function hashPartitions(db: Kysely<unknown>, table: string): Promise<void> {
  for (let i = 0; i < PARTITIONS; i += 1) {
    await sql
      .raw(
        `CREATE TABLE ${table}_p${i} PARTITION OF ${table} FOR VALUES WITH (MODULUS ${PARTITIONS}, REMAINDER ${i})`,
      )
      .execute(db);
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  const categoryList = CATEGORIES.map((c) => `'${c}'`).join(', ');

  await sql`
    CREATE TABLE users (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      external_id   text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 128),
      verified      boolean NOT NULL DEFAULT false,
      trusted       boolean NOT NULL DEFAULT false,
      suspended_at  timestamptz,
      created_at    timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE profiles (
      user_id           bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
      display_name      text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
      birth_year        smallint NOT NULL CHECK (birth_year BETWEEN 1900 AND 2100),
      gender            text NOT NULL CHECK (gender IN ('woman', 'man', 'nonbinary')),
      seeking           text[] NOT NULL CHECK (
                          cardinality(seeking) BETWEEN 1 AND 3
                          AND seeking <@ ARRAY['woman', 'man', 'nonbinary']::text[]),
      age_min           smallint NOT NULL CHECK (age_min BETWEEN 18 AND 120),
      age_max           smallint NOT NULL CHECK (age_max BETWEEN 18 AND 120),
      city              text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
      timezone          text NOT NULL,
      contact_handle    text NOT NULL CHECK (length(contact_handle) BETWEEN 1 AND 200),
      only_verified     boolean NOT NULL DEFAULT false,
      allow_guess_game  boolean NOT NULL DEFAULT true,
      updated_at        timestamptz NOT NULL DEFAULT now(),
      CHECK (age_min <= age_max)
    );
    CREATE INDEX profiles_city_idx ON profiles (city);

    -- Append-only: a grant or a withdrawal is a new row. Rows go only when the user is erased.
    CREATE TABLE consent_events (
      id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      purpose         text NOT NULL CHECK (purpose IN ('transactions', 'matching')),
      action          text NOT NULL CHECK (action IN ('grant', 'withdraw')),
      policy_version  text NOT NULL CHECK (length(policy_version) BETWEEN 1 AND 50),
      at              timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX consent_events_user_purpose_idx ON consent_events (user_id, purpose, id DESC);

    CREATE FUNCTION forbid_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
      FOR EACH ROW EXECUTE FUNCTION forbid_update();

    CREATE TABLE merchants (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      external_id  text NOT NULL UNIQUE CHECK (length(external_id) BETWEEN 1 AND 128),
      name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      category     text NOT NULL,
      city         text CHECK (length(city) BETWEEN 1 AND 100),
      lat          double precision CHECK (lat BETWEEN -90 AND 90),
      lng          double precision CHECK (lng BETWEEN -180 AND 180),
      updated_at   timestamptz NOT NULL DEFAULT now(),
      CHECK ((lat IS NULL) = (lng IS NULL))
    );
  `.execute(db);
  await sql
    .raw(
      `ALTER TABLE merchants ADD CONSTRAINT merchants_category_check CHECK (category IN (${categoryList}))`,
    )
    .execute(db);

  await sql`
    CREATE TABLE api_clients (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
      key_hash    bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
      key_prefix  text NOT NULL,
      scopes      text[] NOT NULL CHECK (cardinality(scopes) >= 1 AND scopes <@ ARRAY['ingest']::text[]),
      created_at  timestamptz NOT NULL DEFAULT now(),
      revoked_at  timestamptz
    );

    -- The registry of every transaction id ever accepted per client: "a transaction id is stored
    -- once, ever", even after the transaction itself was deleted on withdrawal. It holds no user id.
    CREATE TABLE transaction_ids (
      client_id       bigint NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
      transaction_id  text NOT NULL CHECK (length(transaction_id) BETWEEN 1 AND 128),
      received_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (client_id, transaction_id)
    );

    CREATE TABLE transactions (
      user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      client_id       bigint NOT NULL REFERENCES api_clients (id),
      transaction_id  text NOT NULL,
      merchant_id     bigint NOT NULL REFERENCES merchants (id),
      amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
      currency        char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      occurred_at     timestamptz NOT NULL,
      received_at     timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, client_id, transaction_id)
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  await hashPartitions(db, 'transactions');
  await sql`
    CREATE INDEX transactions_user_time_idx ON transactions (user_id, occurred_at);
    CREATE INDEX transactions_occurred_at_idx ON transactions (occurred_at);
    CREATE INDEX transactions_merchant_idx ON transactions (merchant_id);

    CREATE TABLE idempotency_records (
      client_id       bigint NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
      key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
      request_hash    bytea NOT NULL,
      state           text NOT NULL CHECK (state IN ('in_flight', 'done')),
      response_status smallint,
      response_body   jsonb,
      created_at      timestamptz NOT NULL DEFAULT now(),
      completed_at    timestamptz,
      PRIMARY KEY (client_id, key),
      CHECK ((state = 'done') = (response_status IS NOT NULL))
    );
    CREATE INDEX idempotency_records_created_idx ON idempotency_records (created_at);

    CREATE TABLE weight_sets (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      version     integer NOT NULL UNIQUE,
      parent_id   bigint REFERENCES weight_sets (id),
      params      jsonb NOT NULL,
      note        text,
      created_by  text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX weight_sets_parent_idx ON weight_sets (parent_id);
    CREATE TRIGGER weight_sets_immutable BEFORE UPDATE ON weight_sets
      FOR EACH ROW EXECUTE FUNCTION forbid_update();

    -- The active set is the newest activation.
    CREATE TABLE weight_set_activations (
      id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      weight_set_id  bigint NOT NULL REFERENCES weight_sets (id),
      activated_by   text NOT NULL,
      activated_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX weight_set_activations_set_idx ON weight_set_activations (weight_set_id);

    CREATE TABLE scoring_runs (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      business_date    date NOT NULL UNIQUE,
      status           text NOT NULL CHECK (status IN
                         ('pending', 'preparing', 'scoring', 'pairing', 'publishing', 'published', 'failed')),
      weight_set_id    bigint NOT NULL REFERENCES weight_sets (id),
      weight_params    jsonb NOT NULL,
      triggered_by     text NOT NULL,
      stages           jsonb NOT NULL DEFAULT '{}',
      eligible_users   integer,
      paired_users     integer,
      coverage         double precision CHECK (coverage BETWEEN 0 AND 1),
      mean_score       double precision,
      error            text,
      created_at       timestamptz NOT NULL DEFAULT now(),
      started_at       timestamptz,
      finished_at      timestamptz,
      published_at     timestamptz
    );
    CREATE INDEX scoring_runs_weight_set_idx ON scoring_runs (weight_set_id);
    CREATE INDEX scoring_runs_unfinished_idx ON scoring_runs (status) WHERE status NOT IN ('published', 'failed');

    -- One row per user and run: the re-ranked pool as parallel arrays (a row per pair would cost
    -- minutes of COPY per night; this costs seconds).
    CREATE TABLE candidates (
      run_id          bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      candidate_ids   bigint[] NOT NULL,
      scores          real[] NOT NULL,
      overlap_scores        real[] NOT NULL,
      co_presences    real[] NOT NULL,
      spend_levels    real[] NOT NULL,
      shared_counts   smallint[] NOT NULL,
      PRIMARY KEY (user_id, run_id),
      CHECK (cardinality(candidate_ids) = cardinality(scores)
             AND cardinality(scores) = cardinality(overlap_scores)
             AND cardinality(overlap_scores) = cardinality(co_presences)
             AND cardinality(co_presences) = cardinality(spend_levels)
             AND cardinality(spend_levels) = cardinality(shared_counts))
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  await hashPartitions(db, 'candidates');
  await sql`
    CREATE INDEX candidates_run_idx ON candidates (run_id);
    CREATE INDEX candidates_candidate_ids_idx ON candidates USING gin (candidate_ids);

    -- One row per user per date; the two rows of a pair share match_id. Each row holds what the
    -- user sees of the counterpart (alias, score, category-level reasons), never a merchant name.
    CREATE TABLE matches (
      user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      match_date       date NOT NULL,
      match_id         uuid NOT NULL,
      run_id           bigint NOT NULL REFERENCES scoring_runs (id) ON DELETE CASCADE,
      counterpart_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      alias            text NOT NULL,
      score            smallint NOT NULL CHECK (score BETWEEN 0 AND 100),
      shared_bucket    text NOT NULL CHECK (shared_bucket IN ('2', '3-4', '5+')),
      top_categories   text[] NOT NULL CHECK (cardinality(top_categories) <= 3),
      crossed_paths    boolean NOT NULL,
      ended_at         timestamptz,
      ended_reason     text CHECK (ended_reason IN ('passed', 'blocked', 'reported', 'consent_withdrawn', 'deleted')),
      created_at       timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, match_date),
      CHECK (user_id <> counterpart_id)
    ) PARTITION BY HASH (user_id);
  `.execute(db);
  await hashPartitions(db, 'matches');
  await sql`
    CREATE INDEX matches_match_id_idx ON matches (match_id);
    CREATE INDEX matches_run_idx ON matches (run_id);
    CREATE INDEX matches_counterpart_idx ON matches (counterpart_id, match_date);

    CREATE TABLE decisions (
      match_id    uuid NOT NULL,
      user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      decision    text NOT NULL CHECK (decision IN ('like', 'pass')),
      decided_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (match_id, user_id)
    );
    CREATE INDEX decisions_user_idx ON decisions (user_id);

    CREATE TABLE guesses (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      match_id     uuid NOT NULL,
      user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      merchant_id  bigint NOT NULL REFERENCES merchants (id),
      correct      boolean NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (match_id, user_id, merchant_id)
    );
    CREATE INDEX guesses_user_idx ON guesses (user_id);
    CREATE INDEX guesses_merchant_idx ON guesses (merchant_id);

    CREATE TABLE reveals (
      user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      merchant_id  bigint NOT NULL REFERENCES merchants (id),
      created_at   timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, merchant_id)
    );
    CREATE INDEX reveals_merchant_idx ON reveals (merchant_id);

    CREATE TABLE blocks (
      blocker_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      blocked_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (blocker_id, blocked_id),
      CHECK (blocker_id <> blocked_id)
    );
    CREATE INDEX blocks_blocked_idx ON blocks (blocked_id);

    CREATE TABLE reports (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      reporter_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      reported_id  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      match_id     uuid NOT NULL,
      reason       text NOT NULL CHECK (reason IN ('spam', 'harassment', 'fake_profile', 'inappropriate', 'underage', 'other')),
      note         text CHECK (length(note) <= 1000),
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (reporter_id, reported_id),
      CHECK (reporter_id <> reported_id)
    );
    CREATE INDEX reports_reported_idx ON reports (reported_id);

    -- No PII: the actor and subject are keyed hashes of pseudonymous ids, never names or handles.
    CREATE TABLE audit_log (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at          timestamptz NOT NULL DEFAULT now(),
      actor       text NOT NULL,
      action      text NOT NULL,
      subject     text,
      request_id  text,
      details     jsonb NOT NULL DEFAULT '{}'
    );
    CREATE INDEX audit_log_at_idx ON audit_log (at);
    CREATE INDEX audit_log_subject_idx ON audit_log (subject);
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION forbid_update();
  `.execute(db);

  await sql`
    WITH seeded AS (
      INSERT INTO weight_sets (name, version, params, note, created_by)
      VALUES ('default', 1, ${JSON.stringify(DEFAULT_WEIGHT_SET)}::jsonb, 'The seed set of design section 4.', 'system')
      RETURNING id
    )
    INSERT INTO weight_set_activations (weight_set_id, activated_by) SELECT id, 'system' FROM seeded
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TABLE IF EXISTS audit_log, reports, blocks, reveals, guesses, decisions, matches, candidates,
      scoring_runs, weight_set_activations, weight_sets, idempotency_records, transactions, transaction_ids,
      api_clients, merchants, consent_events, profiles, users CASCADE;
    DROP FUNCTION IF EXISTS forbid_update();
  `.execute(db);
}
