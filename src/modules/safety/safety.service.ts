import type { Clock } from '../../clock.ts';
import { AppError, conflict, notFound } from '../../errors.ts';
import type { AuditRepository } from '../audit/audit.repository.ts';
import type { AuditService } from '../audit/audit.service.ts';
import type { TodayResolver } from '../match/today.ts';
import type { ReportReason, SafetyRepository, TargetMatch } from './safety.repository.ts';

type Store = { safety: SafetyRepository; audit: AuditRepository };

type Deps = {
  today: TodayResolver;
  safety: Pick<SafetyRepository, 'userId' | 'targetMatch'>;
  transact: <T>(work: (store: Store) => Promise<T>) => Promise<T>;
  audit: Pick<AuditService, 'record'>;
  clock: Clock;
  /** Distinct reporters (since the last reinstatement) that suspend a user. */
  suspendThreshold: number;
};

export type RequestContext = { requestId: string };

/**
 * Blocks, reports, suspension and reinstatement. A block or a report targets today's match, or,
 * with `matchId`, any earlier match of the caller (so that a connection met days ago can still be
 * blocked or reported); either way the counterpart's identity never leaves the server.
 */
export function createSafetyService({
  today: resolveToday,
  safety,
  transact,
  audit,
  clock,
  suspendThreshold,
}: Deps) {
  const target = async (
    externalId: string,
    matchId: string | undefined,
  ): Promise<TargetMatch & { userId: string }> => {
    if (matchId === undefined) {
      const { match } = await resolveToday(externalId);
      return {
        userId: match.userId,
        matchId: match.matchId,
        counterpartId: match.counterpartId,
        counterpartExternalId: match.counterpartExternalId,
      };
    }
    const user = await safety.userId(externalId);
    const found = user && (await safety.targetMatch(user.id, matchId));
    if (user === undefined || found === undefined)
      throw notFound('match_not_found', 'no such match of yours');
    return { ...found, userId: user.id };
  };

  return {
    /**
     * Blocks the counterpart for good, both ways (the nightly pairing excludes a pair blocked in
     * either direction), and ends the match for both sides. Idempotent.
     */
    async block(externalId: string, matchId: string | undefined): Promise<{ blocked: true }> {
      const match = await target(externalId, matchId);
      const at = clock.now();
      await transact(async ({ safety: store }) => {
        await store.block(match.userId, match.counterpartId, at);
        await store.endMatch(match.matchId, 'blocked', at);
      });
      return { blocked: true };
    },

    /**
     * Reports the counterpart (one report per reporter and reported user: 409 `already_reported`),
     * which also blocks them and ends the match. When `suspendThreshold` distinct users have
     * reported them since their last reinstatement, they are suspended from matching and their
     * open matches end. Audited with the reason code only; the note is stored, never logged.
     */
    async report(
      externalId: string,
      input: { reason: ReportReason; note?: string | undefined; matchId?: string | undefined },
      context: RequestContext,
    ): Promise<{ reported: true }> {
      const match = await target(externalId, input.matchId);
      const at = clock.now();
      await transact(async ({ safety: store, audit: auditRows }) => {
        await store.lockUser(match.counterpartId);
        const stored = await store.report({
          reporterId: match.userId,
          reportedId: match.counterpartId,
          matchId: match.matchId,
          reason: input.reason,
          note: input.note ?? null,
          at,
        });
        if (!stored) throw conflict('already_reported', 'you have already reported this person');
        await store.block(match.userId, match.counterpartId, at);
        await store.endMatch(match.matchId, 'reported', at);
        await audit.record(
          {
            actor: { kind: 'user', id: externalId },
            subject: { kind: 'user', id: match.counterpartExternalId },
            action: 'report.create',
            requestId: context.requestId,
            details: { reason: input.reason },
          },
          auditRows,
        );
        const reporters = await store.reportersSinceReinstatement(match.counterpartId);
        if (reporters >= suspendThreshold && (await store.suspend(match.counterpartId, at))) {
          const ended = await store.endOpenMatchesOf(match.counterpartId, at);
          await audit.record(
            {
              actor: { kind: 'system' },
              subject: { kind: 'user', id: match.counterpartExternalId },
              action: 'user.suspend',
              requestId: context.requestId,
              details: { distinct_reporters: reporters, ended_matches: ended },
            },
            auditRows,
          );
        }
      });
      return { reported: true };
    },

    /**
     * Lifts a suspension (admin only, audited). Reports made before it no longer count towards
     * the threshold. A user who is not suspended answers `reinstated: false` and nothing changes.
     */
    async reinstate(
      adminId: string,
      userExternalId: string,
      context: RequestContext,
    ): Promise<{ reinstated: boolean; suspended: false }> {
      const user = await safety.userId(userExternalId);
      if (user === undefined) throw new AppError(404, 'user_not_found', 'no such user');
      const at = clock.now();
      const reinstated = await transact(async ({ safety: store, audit: auditRows }) => {
        await store.lockUser(user.id);
        const changed = await store.reinstate(user.id, at);
        if (changed) {
          await audit.record(
            {
              actor: { kind: 'staff', id: adminId },
              subject: { kind: 'user', id: userExternalId },
              action: 'user.reinstate',
              requestId: context.requestId,
            },
            auditRows,
          );
        }
        return changed;
      });
      return { reinstated, suspended: false };
    },
  };
}

export type SafetyService = ReturnType<typeof createSafetyService>;
