import type { Deps } from '../../deps.ts';
import { createAuditRepository } from '../audit/audit.repository.ts';
import { createAuditService, deriveAuditKey } from '../audit/audit.service.ts';
import { createConsentsService } from '../consents/consents.service.ts';
import { createMeService } from '../me/me.service.ts';
import { createProfileService } from '../profile/profile.service.ts';
import { createUserStore, snapshotRunner, transactionRunner } from './user-store.ts';

/** The services behind the user's own-data endpoints (profile, consents, merchants, export, erasure). */
export function createUserServices({ db, clock, config }: Pick<Deps, 'db' | 'clock' | 'config'>) {
  const read = createUserStore(db);
  const transact = transactionRunner(db);
  const audit = createAuditService({ audit: createAuditRepository(db), key: deriveAuditKey(config), clock });
  const defaultTimeZone = config.MATCH_TIMEZONE;
  return {
    profileService: createProfileService({ read, transact, clock }),
    consentsService: createConsentsService({ read, transact, audit, clock, defaultTimeZone }),
    meService: createMeService({
      read,
      transact,
      snapshot: snapshotRunner(db),
      audit,
      clock,
      defaultTimeZone,
      kAnon: config.K_ANON,
    }),
  };
}
