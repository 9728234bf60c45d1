import { sql, type Kysely } from 'kysely';
import type { Database, EvaluationStatus } from '../../db/types.ts';

/** An evaluation row as the service sees it; `report` is the stored JSON, parsed by the caller. */
export type EvaluationRecord = {
  id: string;
  weightSetId: string;
  baselineWeightSetId: string | null;
  status: EvaluationStatus;
  progress: number;
  report: unknown;
  error: string | null;
  requestedBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
};

const COLUMNS = [
  'id',
  'weight_set_id',
  'baseline_weight_set_id',
  'status',
  'progress',
  'error',
  'requested_by',
  'created_at',
  'started_at',
  'finished_at',
] as const;

type Row = {
  id: string;
  weight_set_id: string;
  baseline_weight_set_id: string | null;
  status: EvaluationStatus;
  progress: number;
  report?: unknown;
  error: string | null;
  requested_by: string;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
};

const toRecord = (row: Row): EvaluationRecord => ({
  id: row.id,
  weightSetId: row.weight_set_id,
  baselineWeightSetId: row.baseline_weight_set_id,
  status: row.status,
  progress: row.progress,
  report: row.report ?? null,
  error: row.error,
  requestedBy: row.requested_by,
  createdAt: row.created_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
});

/** Kysely queries over `evaluations`: the source of truth of each evaluation's state. */
export function createEvaluationsRepository(db: Kysely<Database>) {
  return {
    async insert(e: {
      weightSetId: string;
      baselineWeightSetId: string | null;
      requestedBy: string;
      createdAt: Date;
    }): Promise<EvaluationRecord> {
      const row = await db
        .insertInto('evaluations')
        .values({
          weight_set_id: e.weightSetId,
          baseline_weight_set_id: e.baselineWeightSetId,
          requested_by: e.requestedBy,
          created_at: e.createdAt,
        })
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    async findById(id: string): Promise<EvaluationRecord | undefined> {
      const row = await db
        .selectFrom('evaluations')
        .select([...COLUMNS, 'report'])
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    /** The newest evaluations first, without their reports. */
    async list(limit: number): Promise<EvaluationRecord[]> {
      const rows = await db
        .selectFrom('evaluations')
        .select(COLUMNS)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRecord);
    },

    /** Evaluations a worker still owes a result (for re-enqueueing after a Redis loss). */
    async unfinishedIds(): Promise<string[]> {
      const rows = await db
        .selectFrom('evaluations')
        .select('id')
        .where('status', 'in', ['queued', 'running'])
        .orderBy('created_at')
        .execute();
      return rows.map((r) => r.id);
    },

    /**
     * Moves a queued (or retried running) evaluation to `running`; false when it already ended,
     * so a duplicate job does nothing.
     */
    async start(id: string, at: Date): Promise<boolean> {
      const result = await db
        .updateTable('evaluations')
        .set({ status: 'running', started_at: sql<Date>`coalesce(started_at, ${at})`, error: null })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    },

    /** Mirrors the job's progress; never moves it backwards, never touches an ended evaluation. */
    async setProgress(id: string, progress: number): Promise<void> {
      await db
        .updateTable('evaluations')
        .set({ progress: sql<number>`greatest(progress, ${Math.round(progress)})` })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .execute();
    },

    async complete(id: string, report: unknown, at: Date): Promise<void> {
      await db
        .updateTable('evaluations')
        .set({
          status: 'completed',
          progress: 100,
          report: JSON.stringify(report),
          finished_at: at,
          error: null,
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .execute();
    },

    async fail(id: string, error: string, at: Date): Promise<void> {
      await db
        .updateTable('evaluations')
        .set({ status: 'failed', error, finished_at: at })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .execute();
    },
  };
}

export type EvaluationsRepository = ReturnType<typeof createEvaluationsRepository>;
