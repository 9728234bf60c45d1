import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { createAuditRepository } from '../audit/audit.repository.ts';
import { createConsentsRepository } from '../consents/consents.repository.ts';
import { createMeRepository } from '../me/me.repository.ts';
import { createProfilesRepository } from '../profile/profile.repository.ts';
import { createUserDataRepository } from './user-data.repository.ts';
import { createUsersRepository } from './users.repository.ts';

/** Every repository the user endpoints use, bound to one Kysely instance or one transaction. */
export function createUserStore(db: Kysely<Database>) {
  return {
    users: createUsersRepository(db),
    profiles: createProfilesRepository(db),
    consents: createConsentsRepository(db),
    userData: createUserDataRepository(db),
    me: createMeRepository(db),
    audit: createAuditRepository(db),
  };
}

export type UserStore = ReturnType<typeof createUserStore>;

/** Runs `work` in one database transaction with repositories bound to it: all of it commits or none. */
export const transactionRunner =
  (db: Kysely<Database>) =>
  <T>(work: (store: UserStore) => Promise<T>): Promise<T> =>
    db.transaction().execute((trx) => work(createUserStore(trx)));

/** Runs `work` in one repeatable-read, read-only transaction: every read sees the same snapshot. */
export const snapshotRunner =
  (db: Kysely<Database>) =>
  <T>(work: (store: UserStore) => Promise<T>): Promise<T> =>
    db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((trx) => work(createUserStore(trx)));
