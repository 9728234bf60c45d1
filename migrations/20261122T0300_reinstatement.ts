import { sql, type Kysely } from 'kysely';

/**
 * An admin's reinstatement of a suspended user (design section 5, safety). Reports stay as history
 * (the reporter's data export lists them); only reports made after `reinstated_at` count towards a
 * new suspension, so a reinstated user is not suspended again by the very next report.
 * Frozen in time: never imports src/.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE users ADD COLUMN reinstated_at timestamptz;
    CREATE INDEX reports_reported_created_idx ON reports (reported_id, created_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS reports_reported_created_idx;
    ALTER TABLE users DROP COLUMN IF EXISTS reinstated_at;
  `.execute(db);
}
