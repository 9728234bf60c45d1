import { sql, type Kysely } from 'kysely';

/**
 * Evaluations of weight sets (design section 7). Frozen in time: never imports src/.
 *
 * A row is the source of truth of one evaluation: the API inserts it `queued` and enqueues a job
 * whose id is the row's id; the worker moves it to `running`, mirrors the job's progress into
 * `progress`, and ends it `completed` with the report (aggregates only, no user id) or `failed`
 * with a short message. Weight sets are never deleted, so the references need no cascade.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE evaluations (
      id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      weight_set_id           bigint NOT NULL REFERENCES weight_sets (id),
      baseline_weight_set_id  bigint REFERENCES weight_sets (id),
      status                  text NOT NULL DEFAULT 'queued'
                              CHECK (status IN ('queued', 'running', 'completed', 'failed')),
      progress                smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
      report                  jsonb,
      error                   text,
      requested_by            text NOT NULL,
      created_at              timestamptz NOT NULL DEFAULT now(),
      started_at              timestamptz,
      finished_at             timestamptz,
      CHECK ((status = 'completed') = (report IS NOT NULL))
    );
    CREATE INDEX evaluations_created_idx ON evaluations (created_at DESC, id);
    CREATE INDEX evaluations_weight_set_idx ON evaluations (weight_set_id);
    CREATE INDEX evaluations_baseline_idx ON evaluations (baseline_weight_set_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS evaluations`.execute(db);
}
