import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RunStatus, ScoringRunRow } from '../../db/types.ts';

export type RunRecord = {
  id: string;
  date: string;
  status: RunStatus;
  weightSetId: string;
  weightParams: unknown;
  triggeredBy: string;
  stages: Record<string, unknown>;
  eligibleUsers: number | null;
  pairedUsers: number | null;
  coverage: number | null;
  meanScore: number | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  publishedAt: Date | null;
};

export const ACTIVE_STATUSES: readonly RunStatus[] = [
  'pending',
  'preparing',
  'scoring',
  'pairing',
  'publishing',
];

const toRecord = (row: ScoringRunRow): RunRecord => ({
  id: row.id,
  date: row.business_date,
  status: row.status,
  weightSetId: row.weight_set_id,
  weightParams: row.weight_params,
  triggeredBy: row.triggered_by,
  stages: row.stages,
  eligibleUsers: row.eligible_users,
  pairedUsers: row.paired_users,
  coverage: row.coverage,
  meanScore: row.mean_score,
  error: row.error,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  publishedAt: row.published_at,
});

type Executor = Kysely<Database> | Transaction<Database>;

/** Kysely queries over scoring_runs (and the active weight set a run snapshots). */
export function createRunsRepository(db: Kysely<Database>) {
  const on = (trx?: Executor): Executor => trx ?? db;
  return {
    transaction: <T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
      db.transaction().execute(work),

    /** Serializes every trigger of one business date until the transaction ends. */
    async lockDate(trx: Transaction<Database>, date: string): Promise<void> {
      await sql`SELECT pg_advisory_xact_lock(hashtext('kindred.scoring_run'), hashtext(${date}))`.execute(
        trx,
      );
    },

    async findByDate(date: string, trx?: Executor): Promise<RunRecord | undefined> {
      const row = await on(trx)
        .selectFrom('scoring_runs')
        .selectAll()
        .where('business_date', '=', date)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async findById(id: string, trx?: Executor): Promise<RunRecord | undefined> {
      const row = await on(trx)
        .selectFrom('scoring_runs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    async list(limit: number, beforeDate?: string): Promise<RunRecord[]> {
      let query = db.selectFrom('scoring_runs').selectAll().orderBy('business_date', 'desc').limit(limit);
      if (beforeDate !== undefined) query = query.where('business_date', '<', beforeDate);
      return (await query.execute()).map(toRecord);
    },

    async unfinished(): Promise<RunRecord[]> {
      const rows = await db
        .selectFrom('scoring_runs')
        .selectAll()
        .where('status', 'in', ACTIVE_STATUSES)
        .orderBy('business_date')
        .execute();
      return rows.map(toRecord);
    },

    /** The newest activation's weight set. */
    async activeWeightSet(trx?: Executor): Promise<{ id: string; params: unknown } | undefined> {
      return on(trx)
        .selectFrom('weight_set_activations as a')
        .innerJoin('weight_sets as w', 'w.id', 'a.weight_set_id')
        .select(['w.id as id', 'w.params as params'])
        .orderBy('a.id', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    async insert(
      trx: Transaction<Database>,
      run: { date: string; weightSetId: string; params: unknown; triggeredBy: string; attempt: number },
    ): Promise<RunRecord> {
      const row = await trx
        .insertInto('scoring_runs')
        .values({
          business_date: run.date,
          status: 'pending',
          weight_set_id: run.weightSetId,
          weight_params: JSON.stringify(run.params),
          triggered_by: run.triggeredBy,
          stages: JSON.stringify({ attempt: run.attempt }),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    /** Restarts a failed run from scratch with a fresh weight-set snapshot and the next attempt number. */
    async restart(
      trx: Transaction<Database>,
      id: string,
      run: { weightSetId: string; params: unknown; triggeredBy: string; attempt: number },
    ): Promise<RunRecord> {
      const row = await trx
        .updateTable('scoring_runs')
        .set({
          status: 'pending',
          weight_set_id: run.weightSetId,
          weight_params: JSON.stringify(run.params),
          triggered_by: run.triggeredBy,
          stages: JSON.stringify({ attempt: run.attempt }),
          eligible_users: null,
          paired_users: null,
          coverage: null,
          mean_score: null,
          error: null,
          started_at: null,
          finished_at: null,
          published_at: null,
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    /**
     * Moves a run into a stage, only forwards: `from` lists the statuses it may come from. Returns
     * false when the run is elsewhere (a duplicate or late job).
     */
    async advance(id: string, from: readonly RunStatus[], to: RunStatus): Promise<boolean> {
      const result = await db
        .updateTable('scoring_runs')
        .set({ status: to, started_at: sql<Date>`coalesce(started_at, now())` })
        .where('id', '=', id)
        .where('status', 'in', from)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Merges `info` into `stages[stage]` (or `stages[stage].shards[shard]`). */
    async recordStage(
      id: string,
      stage: string,
      info: Record<string, unknown>,
      trx?: Executor,
    ): Promise<void> {
      await on(trx)
        .updateTable('scoring_runs')
        .set({
          stages: sql`jsonb_set(stages, ${sql.lit(`{${stage}}`)}::text[], coalesce(stages -> ${stage}, '{}'::jsonb) || ${JSON.stringify(info)}::jsonb)`,
        })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Merges the record of one sub-job of a stage, `info`, as `stages[stage][list][n]`: a score
     * shard or a pair group (`shards`), a prepare part (`parts`: prepare's `shards` is the run's
     * number of score shards).
     */
    async recordSubJob(
      id: string,
      at: { stage: 'prepare' | 'score' | 'pair'; list: 'shards' | 'parts' },
      n: number,
      info: Record<string, unknown>,
    ): Promise<void> {
      const { stage, list } = at;
      await db
        .updateTable('scoring_runs')
        .set({
          stages: sql`jsonb_set(
            jsonb_set(stages, ${sql.lit(`{${stage}}`)}::text[], coalesce(stages -> ${stage}, '{}'::jsonb), true),
            ${sql.lit(`{${stage},${list}}`)}::text[],
            coalesce(stages #> ${sql.lit(`{${stage},${list}}`)}::text[], '{}'::jsonb) || jsonb_build_object(${String(n)}::text, ${JSON.stringify(info)}::jsonb),
            true)`,
        })
        .where('id', '=', id)
        .execute();
    },

    async setStats(
      id: string,
      stats: Partial<{ eligibleUsers: number; pairedUsers: number; coverage: number; meanScore: number }>,
      trx?: Executor,
    ): Promise<void> {
      await on(trx)
        .updateTable('scoring_runs')
        .set({
          ...(stats.eligibleUsers !== undefined && { eligible_users: stats.eligibleUsers }),
          ...(stats.pairedUsers !== undefined && { paired_users: stats.pairedUsers }),
          ...(stats.coverage !== undefined && { coverage: stats.coverage }),
          ...(stats.meanScore !== undefined && { mean_score: stats.meanScore }),
        })
        .where('id', '=', id)
        .execute();
    },

    async markPublished(trx: Executor, id: string): Promise<void> {
      await trx
        .updateTable('scoring_runs')
        .set({
          status: 'published',
          finished_at: sql<Date>`now()`,
          published_at: sql<Date>`now()`,
          error: null,
        })
        .where('id', '=', id)
        .execute();
    },

    async markFailed(id: string, error: string): Promise<void> {
      await db
        .updateTable('scoring_runs')
        .set({ status: 'failed', error, finished_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('status', 'in', ACTIVE_STATUSES)
        .execute();
    },

    /** The longest `windowDays` over every weight set (retention keeps it plus a margin). */
    async longestWindowDays(): Promise<number> {
      const row = await sql<{ days: number | null }>`
        SELECT max((params ->> 'windowDays')::int) AS days FROM weight_sets`.execute(db);
      return row.rows[0]?.days ?? 30;
    },
  };
}

export type RunsRepository = ReturnType<typeof createRunsRepository>;
