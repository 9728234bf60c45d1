import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

/** A row of the append-only audit log, already pseudonymized by the audit service. */
export type AuditRow = {
  at: Date;
  actor: string;
  action: string;
  subject: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean>;
};

export type AuditRecord = AuditRow & { id: string };

/** Queries on `audit_log`: insert and read only, the table refuses updates. */
export function createAuditRepository(db: Kysely<Database>) {
  return {
    async insert(row: AuditRow): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({
          at: row.at,
          actor: row.actor,
          action: row.action,
          subject: row.subject,
          request_id: row.requestId,
          details: JSON.stringify(row.details),
        })
        .execute();
    },

    /** Entries about a subject or by an actor (both pseudonyms), oldest first. */
    async findByParty(pseudonym: string): Promise<AuditRecord[]> {
      const rows = await db
        .selectFrom('audit_log')
        .select(['id', 'at', 'actor', 'action', 'subject', 'request_id', 'details'])
        .where((eb) => eb.or([eb('actor', '=', pseudonym), eb('subject', '=', pseudonym)]))
        .orderBy('id')
        .execute();
      return rows.map((row) => ({
        id: row.id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        subject: row.subject,
        requestId: row.request_id,
        details: row.details as Record<string, string | number | boolean>,
      }));
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
