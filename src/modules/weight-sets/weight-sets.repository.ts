import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../db/types.ts';

/** A stored weight set; `params` is the full, parsed weight set as written at creation. */
export type WeightSetRecord = {
  id: string;
  name: string;
  version: number;
  parentId: string | null;
  params: unknown;
  note: string | null;
  createdBy: string;
  createdAt: Date;
};

export type NewWeightSet = {
  name: string;
  parentId: string | null;
  params: unknown;
  note: string | null;
  createdBy: string;
};

export type Activation = { weightSetId: string; activatedBy: string; activatedAt: Date };

type Executor = Kysely<Database> | Transaction<Database>;

const COLUMNS = ['id', 'name', 'version', 'parent_id', 'params', 'note', 'created_by', 'created_at'] as const;

type Row = {
  id: string;
  name: string;
  version: number;
  parent_id: string | null;
  params: unknown;
  note: string | null;
  created_by: string;
  created_at: Date;
};

const toRecord = (row: Row): WeightSetRecord => ({
  id: row.id,
  name: row.name,
  version: row.version,
  parentId: row.parent_id,
  params: row.params,
  note: row.note,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

/** Kysely queries over weight_sets (insert-only: a trigger refuses updates) and their activations. */
export function createWeightSetsRepository(db: Kysely<Database>) {
  const on = (trx?: Executor): Executor => trx ?? db;
  return {
    transaction: <T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
      db.transaction().execute(work),

    /** Every set, newest version first. */
    async list(): Promise<WeightSetRecord[]> {
      const rows = await db.selectFrom('weight_sets').select(COLUMNS).orderBy('version', 'desc').execute();
      return rows.map(toRecord);
    },

    async findById(id: string, trx?: Executor): Promise<WeightSetRecord | undefined> {
      const row = await on(trx)
        .selectFrom('weight_sets')
        .select(COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },

    /**
     * Inserts a set with the next version. The advisory lock serializes concurrent creations so
     * that two never read the same maximum (the UNIQUE constraint would refuse the second).
     */
    async insert(set: NewWeightSet, trx: Transaction<Database>): Promise<WeightSetRecord> {
      await sql`SELECT pg_advisory_xact_lock(hashtext('kindred.weight_set_version'))`.execute(trx);
      const row = await trx
        .insertInto('weight_sets')
        .values((eb) => ({
          name: set.name,
          version: eb.selectFrom('weight_sets').select(sql<number>`coalesce(max(version), 0) + 1`.as('next')),
          parent_id: set.parentId,
          params: JSON.stringify(set.params),
          note: set.note,
          created_by: set.createdBy,
        }))
        .returning(COLUMNS)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    },

    /** The newest activation: the set the next run uses. */
    async activeActivation(trx?: Executor): Promise<Activation | undefined> {
      const row = await on(trx)
        .selectFrom('weight_set_activations')
        .select(['weight_set_id', 'activated_by', 'activated_at'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row === undefined
        ? undefined
        : { weightSetId: row.weight_set_id, activatedBy: row.activated_by, activatedAt: row.activated_at };
    },

    /** Serializes activations, so "already active" is decided on the latest state. */
    async lockActivations(trx: Transaction<Database>): Promise<void> {
      await sql`SELECT pg_advisory_xact_lock(hashtext('kindred.weight_set_activation'))`.execute(trx);
    },

    async activate(
      weightSetId: string,
      activatedBy: string,
      trx: Transaction<Database>,
    ): Promise<Activation> {
      const row = await trx
        .insertInto('weight_set_activations')
        .values({ weight_set_id: weightSetId, activated_by: activatedBy })
        .returning(['weight_set_id', 'activated_by', 'activated_at'])
        .executeTakeFirstOrThrow();
      return { weightSetId: row.weight_set_id, activatedBy: row.activated_by, activatedAt: row.activated_at };
    },

    /** How many scoring runs used each of these sets. */
    async runCounts(ids: readonly string[]): Promise<Map<string, number>> {
      if (ids.length === 0) return new Map();
      const rows = await db
        .selectFrom('scoring_runs')
        .select(['weight_set_id', (eb) => eb.fn.countAll<string>().as('runs')])
        .where('weight_set_id', 'in', ids)
        .groupBy('weight_set_id')
        .execute();
      return new Map(rows.map((r) => [r.weight_set_id, Number(r.runs)]));
    },
  };
}

export type WeightSetsRepository = ReturnType<typeof createWeightSetsRepository>;
