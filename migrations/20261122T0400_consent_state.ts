import { sql, type Kysely } from 'kysely';

/**
 * The current consent per purpose, kept on the user row by a trigger on the ledger.
 *
 * Why: ingest checks consent and stores rows in one statement. A consent check against the ledger
 * reads the statement's snapshot, so a withdrawal committing while the statement waits would not
 * be seen, and rows could be stored after the withdrawal deleted the user's data. With the flag on
 * the row itself, ingest locks the user rows `FOR SHARE` and Postgres re-checks the flag on the
 * newest row version after any wait (READ COMMITTED re-evaluation), so a withdrawal either commits
 * first (ingest sees it and refuses) or waits for ingest (and then deletes what it stored).
 * The ledger stays the record; the trigger makes every writer (API, loaders, tests) keep the flag.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users
      ADD COLUMN transactions_consent boolean NOT NULL DEFAULT false,
      ADD COLUMN matching_consent boolean NOT NULL DEFAULT false;

    UPDATE users u SET
      transactions_consent = coalesce((SELECT e.action = 'grant' FROM consent_events e
        WHERE e.user_id = u.id AND e.purpose = 'transactions' ORDER BY e.id DESC LIMIT 1), false),
      matching_consent = coalesce((SELECT e.action = 'grant' FROM consent_events e
        WHERE e.user_id = u.id AND e.purpose = 'matching' ORDER BY e.id DESC LIMIT 1), false);

    CREATE FUNCTION users_follow_consent_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.purpose = 'transactions' THEN
        UPDATE users SET transactions_consent = (NEW.action = 'grant') WHERE id = NEW.user_id;
      ELSE
        UPDATE users SET matching_consent = (NEW.action = 'grant') WHERE id = NEW.user_id;
      END IF;
      RETURN NULL;
    END $$;

    CREATE TRIGGER consent_events_current_state AFTER INSERT ON consent_events
      FOR EACH ROW EXECUTE FUNCTION users_follow_consent_ledger();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP TRIGGER IF EXISTS consent_events_current_state ON consent_events;
    DROP FUNCTION IF EXISTS users_follow_consent_ledger();
    ALTER TABLE users DROP COLUMN IF EXISTS transactions_consent, DROP COLUMN IF EXISTS matching_consent;
  `.execute(db);
}
