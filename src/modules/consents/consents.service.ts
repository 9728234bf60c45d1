import type { Clock } from '../../clock.ts';
import type { ConsentPurpose } from '../../db/types.ts';
import { conflict } from '../../errors.ts';
import type { AuditService } from '../audit/audit.service.ts';
import { localDate } from '../users/local-day.ts';
import type { UserStore } from '../users/user-store.ts';
import { foldLedger, type ConsentPeriod } from './consent-ledger.ts';

type Deps = {
  read: {
    users: Pick<UserStore['users'], 'findByExternalId'>;
    consents: Pick<UserStore['consents'], 'events'>;
  };
  transact: <T>(
    work: (store: Pick<UserStore, 'users' | 'consents' | 'profiles' | 'userData' | 'audit'>) => Promise<T>,
  ) => Promise<T>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  /** The zone of "today" for a user without a profile. */
  defaultTimeZone: string;
};

export type RequestContext = { requestId: string };

export type Withdrawal = {
  purpose: ConsentPurpose;
  withdrawnAt: Date;
  deleted: {
    transactions: number;
    features: number;
    candidates: number;
    candidateEntries: number;
    runSnapshots: number;
    pairs: number;
    reveals: number;
    guesses: number;
  };
  endedMatches: number;
};

const notGranted = (purpose: ConsentPurpose) =>
  conflict('consent_not_granted', `no current consent for ${purpose} to withdraw`);

export function createConsentsService({ read, transact, audit, clock, defaultTimeZone }: Deps) {
  return {
    async ledger(externalId: string): Promise<ConsentPeriod[]> {
      const user = await read.users.findByExternalId(externalId);
      return user === undefined ? [] : foldLedger(await read.consents.events(user.id));
    },

    /**
     * Grants a purpose under a policy version. Granting the version already in force changes
     * nothing (`created: false`); a new version appends a grant that supersedes the old one.
     */
    async grant(
      externalId: string,
      purpose: ConsentPurpose,
      policyVersion: string,
      context: RequestContext,
    ): Promise<{ period: ConsentPeriod; created: boolean }> {
      return transact(async (store) => {
        const userId = await store.users.upsertByExternalId(externalId);
        await store.users.lockForUpdate(userId);
        const latest = await store.consents.latest(userId, purpose);
        if (latest?.action === 'grant' && latest.policyVersion === policyVersion) {
          const current = foldLedger(await store.consents.events(userId)).find(
            (period) =>
              period.purpose === purpose && period.withdrawnAt === null && period.supersededAt === null,
          );
          if (current !== undefined) return { period: current, created: false };
        }
        const at = clock.now();
        await store.consents.append(userId, { purpose, action: 'grant', policyVersion, at });
        await audit.record(
          {
            actor: { kind: 'user', id: externalId },
            subject: { kind: 'user', id: externalId },
            action: 'consent.grant',
            requestId: context.requestId,
            details: { purpose, policy_version: policyVersion, superseded: latest?.action === 'grant' },
          },
          store.audit,
        );
        return {
          period: { purpose, policyVersion, grantedAt: at, withdrawnAt: null, supersededAt: null },
          created: true,
        };
      });
    },

    /**
     * Withdraws a purpose, before answering and in one database transaction:
     * - both purposes end today's and later matches for both sides and take the user out of
     *   pairing at once: their run features, candidate pools, eligibility snapshots and pending
     *   pairs go, and they leave every other user's candidate pool.
     * - `transactions` also deletes the user's transactions, reveals and the guesses of their
     *   matches (a correct guess tells where they bought). Past matches and decisions stay. The
     *   registry of transaction ids keeps the ids (it holds no user id), so a re-delivered
     *   transaction stays a duplicate.
     * Withdrawing what is not granted is a 409 `consent_not_granted`.
     */
    async withdraw(
      externalId: string,
      purpose: ConsentPurpose,
      context: RequestContext,
    ): Promise<Withdrawal> {
      return transact(async (store) => {
        const user = await store.users.findByExternalId(externalId);
        if (user === undefined) throw notGranted(purpose);
        await store.users.lockForUpdate(user.id);
        const latest = await store.consents.latest(user.id, purpose);
        if (latest?.action !== 'grant') throw notGranted(purpose);

        const at = clock.now();
        await store.consents.append(user.id, {
          purpose,
          action: 'withdraw',
          policyVersion: latest.policyVersion,
          at,
        });
        const timeZone = (await store.profiles.find(user.id))?.timezone ?? defaultTimeZone;
        const today = localDate(at, timeZone);
        const { userData } = store;

        const endedMatches = await userData.endMatchesFrom(user.id, today, 'consent_withdrawn', at);
        const derived = purpose === 'transactions';
        const membership = await userData.deleteRunMembership(user.id);
        const deleted = {
          transactions: derived ? await userData.deleteTransactions(user.id) : 0,
          features: await userData.deleteRunFeatures(user.id),
          candidates: await userData.deleteOwnCandidates(user.id),
          candidateEntries: await userData.removeFromCandidatePools(user.id),
          runSnapshots: membership.snapshots,
          pairs: membership.pairs,
          reveals: derived ? await userData.deleteReveals(user.id) : 0,
          guesses: derived ? await userData.deleteGuessesOfMatches(user.id) : 0,
        };
        await audit.record(
          {
            actor: { kind: 'user', id: externalId },
            subject: { kind: 'user', id: externalId },
            action: 'consent.withdraw',
            requestId: context.requestId,
            details: {
              purpose,
              policy_version: latest.policyVersion,
              ended_matches: endedMatches,
              deleted_transactions: deleted.transactions,
              deleted_features: deleted.features,
              deleted_candidates: deleted.candidates,
              removed_candidate_entries: deleted.candidateEntries,
              deleted_run_snapshots: deleted.runSnapshots,
              deleted_pairs: deleted.pairs,
              deleted_reveals: deleted.reveals,
              deleted_guesses: deleted.guesses,
            },
          },
          store.audit,
        );
        return { purpose, withdrawnAt: at, deleted, endedMatches };
      });
    },
  };
}

export type ConsentsService = ReturnType<typeof createConsentsService>;
