import { sql, type Kysely } from 'kysely';

/**
 * A user's shard pools belong to their membership of the run (`run_users`): a consent withdrawal
 * deletes that membership, and with it now the user's own pools, as it already did their
 * features and snapshot. Frozen in time: never imports src/.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE run_pools ADD CONSTRAINT run_pools_membership_fkey
      FOREIGN KEY (user_id, run_id) REFERENCES run_users (user_id, run_id) ON DELETE CASCADE
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE run_pools DROP CONSTRAINT IF EXISTS run_pools_membership_fkey`.execute(db);
}
