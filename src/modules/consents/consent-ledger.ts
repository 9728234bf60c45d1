import type { ConsentPurpose } from '../../db/types.ts';
import type { ConsentEvent } from './consents.repository.ts';

/** One grant period: from a grant to the withdrawal or the next grant (a new policy version). */
export type ConsentPeriod = {
  purpose: ConsentPurpose;
  policyVersion: string;
  grantedAt: Date;
  withdrawnAt: Date | null;
  supersededAt: Date | null;
};

/**
 * Folds the ledger (events oldest first) into grant periods, newest first. Per purpose, a grant
 * opens a period; a withdrawal closes the open one; a grant while one is open (a new policy
 * version) supersedes it. A withdrawal with no open period is ignored.
 */
export function foldLedger(events: readonly ConsentEvent[]): ConsentPeriod[] {
  const periods: ConsentPeriod[] = [];
  const open = new Map<ConsentPurpose, ConsentPeriod>();
  for (const event of events) {
    const current = open.get(event.purpose);
    if (event.action === 'withdraw') {
      if (current !== undefined) current.withdrawnAt = event.at;
      open.delete(event.purpose);
      continue;
    }
    if (current !== undefined) current.supersededAt = event.at;
    const period: ConsentPeriod = {
      purpose: event.purpose,
      policyVersion: event.policyVersion,
      grantedAt: event.at,
      withdrawnAt: null,
      supersededAt: null,
    };
    periods.push(period);
    open.set(event.purpose, period);
  }
  return periods.reverse();
}
