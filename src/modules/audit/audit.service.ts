import { createHmac, hkdfSync } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import type { AuditRepository } from './audit.repository.ts';

/**
 * Who acted or was acted upon, by pseudonymous id only (the platform's user id, a token's `sub`,
 * an API client's id). The log stores a keyed hash of it, never the id itself, and never a name,
 * handle, email or merchant name.
 */
export type AuditParty = { kind: 'user' | 'staff' | 'client'; id: string } | { kind: 'system' };

/**
 * Details hold counts, flags and codes only: keys are snake_case, strings are short codes with no
 * spaces or `@`. Free text (a full name, a note, an email) fails this schema, so it cannot reach
 * the log; callers still pass codes only (a purpose, a policy version, a reason).
 */
export const AuditDetails = z.record(
  z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  z.union([
    z.number().finite(),
    z.boolean(),
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be a short code (no spaces, no @)'),
  ]),
);
export type AuditDetails = z.infer<typeof AuditDetails>;

const AuditAction = z.string().regex(/^[a-z][a-z0-9_.]{1,63}$/);

export type AuditEntry = {
  actor: AuditParty;
  action: string;
  subject?: AuditParty;
  requestId?: string;
  details?: AuditDetails;
};

/** Bytes of HMAC-SHA-256 kept: 128 bits, far beyond any collision risk at this scale. */
const PSEUDONYM_BYTES = 16;

/**
 * The audit key: `AUDIT_KEY` when set (so that pseudonyms stay linkable across JWT secret
 * rotations), otherwise derived from the JWT secret with HKDF under its own label, so the
 * signing key itself never doubles as the pseudonymization key.
 */
export function deriveAuditKey(config: { AUDIT_KEY?: string | undefined; JWT_SECRET: string }): Buffer {
  if (config.AUDIT_KEY !== undefined) return Buffer.from(config.AUDIT_KEY, 'utf8');
  return Buffer.from(hkdfSync('sha256', config.JWT_SECRET, 'kindred', 'audit-pseudonym-v1', 32));
}

/** `kind:hex`, a keyed hash of the party's id; the same party always gets the same pseudonym. */
export function pseudonymize(key: Buffer, party: AuditParty): string {
  if (party.kind === 'system') return 'system';
  const digest = createHmac('sha256', key).update(`${party.kind}\u0000${party.id}`).digest();
  return `${party.kind}:${digest.subarray(0, PSEUDONYM_BYTES).toString('hex')}`;
}

type Deps = { audit: Pick<AuditRepository, 'insert'>; key: Buffer; clock: Clock };

export function createAuditService({ audit, key, clock }: Deps) {
  return {
    pseudonym: (party: AuditParty): string => pseudonymize(key, party),

    /**
     * Appends an entry. Pass `within` (an audit repository bound to a database transaction) to
     * make the entry part of the change it records: both commit, or neither.
     */
    async record(entry: AuditEntry, within: Pick<AuditRepository, 'insert'> = audit): Promise<void> {
      const action = AuditAction.parse(entry.action);
      const details = AuditDetails.parse(entry.details ?? {});
      await within.insert({
        at: clock.now(),
        actor: pseudonymize(key, entry.actor),
        action,
        subject: entry.subject === undefined ? null : pseudonymize(key, entry.subject),
        requestId: entry.requestId ?? null,
        details,
      });
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
