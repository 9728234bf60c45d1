import type { Clock } from '../../clock.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { RequestContext } from '../consents/consents.service.ts';
import { addDays, localDate } from '../users/local-day.ts';
import type { UserStore } from '../users/user-store.ts';
import { NOT_REVEALABLE_REASON, type DataExportView } from './me.schemas.ts';

type Deps = {
  read: {
    users: Pick<UserStore['users'], 'findByExternalId'>;
    profiles: Pick<UserStore['profiles'], 'find'>;
    me: Pick<UserStore['me'], 'activeWindowDays' | 'merchantsSince'>;
  };
  transact: <T>(work: (store: Pick<UserStore, 'users' | 'userData' | 'audit'>) => Promise<T>) => Promise<T>;
  snapshot: <T>(
    work: (store: Pick<UserStore, 'users' | 'profiles' | 'consents' | 'me'>) => Promise<T>,
  ) => Promise<T>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  /** The zone of "today" for a user without a profile. */
  defaultTimeZone: string;
  /** Distinct consenting customers a merchant needs before it may be revealed (design 6.3). */
  kAnon: number;
};

export function createMeService({ read, transact, snapshot, audit, clock, defaultTimeZone, kAnon }: Deps) {
  return {
    /**
     * The caller's merchants in the active weight set's window: the `windowDays` days before
     * today in their time zone (the profile's, else the service's), plus today so far. Each says
     * whether it passes k-anonymity; a user with no data gets an empty list.
     */
    async merchants(externalId: string) {
      const user = await read.users.findByExternalId(externalId);
      const profile = user && (await read.profiles.find(user.id));
      const timezone = profile?.timezone ?? defaultTimeZone;
      const windowDays = await read.me.activeWindowDays();
      const since = addDays(localDate(clock.now(), timezone), -windowDays);
      const merchants =
        user === undefined ? [] : await read.me.merchantsSince(user.id, since, timezone, kAnon);
      return {
        windowDays,
        since,
        timezone,
        merchants: merchants.map((merchant) =>
          merchant.revealable ? merchant : { ...merchant, reason: NOT_REVEALABLE_REASON },
        ),
      };
    },

    /**
     * Everything held about the caller, read in one repeatable-read, read-only transaction: a
     * consistent snapshot on one connection. A caller never seen gets an empty export.
     */
    async exportData(externalId: string): Promise<DataExportView> {
      const exportedAt = clock.now();
      return snapshot(async ({ users, profiles, consents, me }) => {
        const user = await users.findByExternalId(externalId);
        if (user === undefined) {
          return {
            exportedAt,
            user: { userId: externalId, createdAt: null, suspended: false },
            attributes: { verified: false, trusted: false },
            profile: null,
            consentEvents: [],
            transactions: [],
            reveals: [],
            candidatePools: [],
            matches: [],
            decisions: [],
            guesses: [],
            blocksMade: [],
            reportsMade: [],
          };
        }
        return {
          exportedAt,
          user: { userId: user.externalId, createdAt: user.createdAt, suspended: user.suspendedAt !== null },
          attributes: { verified: user.verified, trusted: user.trusted },
          profile: (await profiles.find(user.id)) ?? null,
          consentEvents: await consents.events(user.id),
          transactions: await me.transactions(user.id),
          reveals: await me.reveals(user.id),
          candidatePools: await me.candidatePools(user.id),
          matches: await me.matches(user.id),
          decisions: await me.decisions(user.id),
          guesses: await me.guesses(user.id),
          blocksMade: await me.blocksMade(user.id),
          reportsMade: await me.reportsMade(user.id),
        };
      });
    },

    /**
     * Erases the caller in one database transaction: takes them out of other users' candidate
     * pools, deletes both sides' guesses and decisions of their matches, then deletes the user
     * row, whose foreign keys cascade to every table keyed by the user (profile, consent ledger,
     * transactions, features, pools, matches on both sides, reveals, blocks and reports either
     * way). The counterpart's row of a shared match goes with it (it names the erased user).
     * Writes a PII-free audit entry in the same transaction. Erasing nobody is a no-op.
     */
    async erase(externalId: string, context: RequestContext): Promise<{ erased: boolean }> {
      return transact(async ({ users, userData, audit: auditRows }) => {
        const user = await users.findByExternalId(externalId);
        if (user === undefined) return { erased: false };
        await users.lockForUpdate(user.id);
        const candidateEntries = await userData.removeFromCandidatePools(user.id);
        const guesses = await userData.deleteGuessesOfMatches(user.id);
        const decisions = await userData.deleteDecisionsOfMatches(user.id);
        await users.deleteById(user.id);
        await audit.record(
          {
            actor: { kind: 'user', id: externalId },
            subject: { kind: 'user', id: externalId },
            action: 'user.erase',
            requestId: context.requestId,
            details: {
              removed_candidate_entries: candidateEntries,
              deleted_guesses: guesses,
              deleted_decisions: decisions,
            },
          },
          auditRows,
        );
        return { erased: true };
      });
    },
  };
}

export type MeService = ReturnType<typeof createMeService>;
