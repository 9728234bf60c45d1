import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../../db/types.ts';
import type { AuditRepository } from '../audit/audit.repository.ts';
import type { AppError } from '../../errors.ts';
import { badRequest, notFound } from '../../errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { diffParams } from './weight-sets.diff.ts';
import type { WeightSetRecord, WeightSetsRepository } from './weight-sets.repository.ts';
import type {
  ActivationView,
  CreateWeightSetBody,
  WeightSetDetail,
  WeightSetView,
} from './weight-sets.schemas.ts';

type Deps = {
  weightSets: Pick<
    WeightSetsRepository,
    | 'transaction'
    | 'list'
    | 'findById'
    | 'insert'
    | 'activeActivation'
    | 'lockActivations'
    | 'activate'
    | 'runCounts'
  >;
  audit: Pick<AuditService, 'record'>;
  /** The audit repository bound to a transaction, so an entry commits with the change it records. */
  auditWithin: (trx: Transaction<Database>) => Pick<AuditRepository, 'insert'>;
  log: Logger;
};

/** Who asks, and under which request id (for the audit log). */
export type Actor = { staffId: string; requestId: string };

const weightSetNotFound = (id: string): AppError =>
  notFound('weight_set_not_found', `no weight set with id ${id}`);

/**
 * Versioned, immutable weight sets. A set is never changed after creation (the table refuses
 * updates), so a set used by a run stays exactly what the run used; a change is a new set whose
 * parent is the old one. Creation and activation are audited in the same transaction.
 */
export function createWeightSetService({ weightSets, audit, auditWithin, log }: Deps) {
  const views = async (records: WeightSetRecord[]): Promise<WeightSetView[]> => {
    const [active, runs] = await Promise.all([
      weightSets.activeActivation(),
      weightSets.runCounts(records.map((r) => r.id)),
    ]);
    return records.map((r) => ({
      id: r.id,
      name: r.name,
      version: r.version,
      parentId: r.parentId,
      params: r.params as Record<string, unknown>,
      note: r.note,
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      active: active?.weightSetId === r.id,
      runs: runs.get(r.id) ?? 0,
    }));
  };
  const view = async (record: WeightSetRecord): Promise<WeightSetView> => {
    const [one] = await views([record]);
    if (one === undefined) throw new Error('a view per record');
    return one;
  };

  return {
    async list(): Promise<WeightSetView[]> {
      return views(await weightSets.list());
    },

    async get(id: string): Promise<WeightSetDetail> {
      const set = await weightSets.findById(id);
      if (set === undefined) throw weightSetNotFound(id);
      const parent = set.parentId === null ? undefined : await weightSets.findById(set.parentId);
      const [setView, parentView] = await views(parent === undefined ? [set] : [set, parent]);
      if (setView === undefined) throw weightSetNotFound(id);
      return {
        weightSet: setView,
        parent: parentView ?? null,
        diff: parent === undefined ? [] : diffParams(parent.params, set.params),
      };
    },

    /** Creates the next version; the parent defaults to the active set. */
    async create(body: CreateWeightSetBody, actor: Actor): Promise<WeightSetDetail> {
      const created = await weightSets.transaction(async (trx) => {
        let parentId: string | null;
        if (body.parentId === undefined) {
          parentId = (await weightSets.activeActivation(trx))?.weightSetId ?? null;
        } else {
          if ((await weightSets.findById(body.parentId, trx)) === undefined) {
            throw badRequest('the parent weight set does not exist', [
              { path: 'body.parentId', message: `no weight set with id ${body.parentId}` },
            ]);
          }
          parentId = body.parentId;
        }
        const record = await weightSets.insert(
          {
            name: body.name,
            parentId,
            params: body.params,
            note: body.note ?? null,
            createdBy: actor.staffId,
          },
          trx,
        );
        await audit.record(
          {
            actor: { kind: 'staff', id: actor.staffId },
            action: 'weight_set.create',
            requestId: actor.requestId,
            details: {
              weight_set_id: record.id,
              version: record.version,
              ...(parentId === null ? {} : { parent_id: parentId }),
            },
          },
          auditWithin(trx),
        );
        return record;
      });
      log.info({ weightSetId: created.id, version: created.version }, 'weight set created');
      return this.get(created.id);
    },

    /** Makes the set the one the next nightly run snapshots; activating the active set changes nothing. */
    async activate(id: string, actor: Actor): Promise<ActivationView> {
      const result = await weightSets.transaction(async (trx) => {
        await weightSets.lockActivations(trx);
        const set = await weightSets.findById(id, trx);
        if (set === undefined) throw weightSetNotFound(id);
        const current = await weightSets.activeActivation(trx);
        if (current?.weightSetId === id) return { set, activatedAt: current.activatedAt, changed: false };
        const activation = await weightSets.activate(id, actor.staffId, trx);
        await audit.record(
          {
            actor: { kind: 'staff', id: actor.staffId },
            action: 'weight_set.activate',
            requestId: actor.requestId,
            details: {
              weight_set_id: id,
              version: set.version,
              ...(current === undefined ? {} : { previous_weight_set_id: current.weightSetId }),
            },
          },
          auditWithin(trx),
        );
        return { set, activatedAt: activation.activatedAt, changed: true };
      });
      if (result.changed) log.info({ weightSetId: id }, 'weight set activated');
      return { weightSet: await view(result.set), activatedAt: result.activatedAt, changed: result.changed };
    },
  };
}

export type WeightSetService = ReturnType<typeof createWeightSetService>;
