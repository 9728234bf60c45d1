import type { Clock } from '../../clock.ts';
import { decisionState, maskCard, type MatchCard } from '../../core/masking/index.ts';
import { GUESSES_PER_MATCH } from '../../core/masking/index.ts';
import type { MerchantCategory } from '../../core/scoring/weight-set.ts';
import { AppError, conflict, notFound } from '../../errors.ts';
import type { RevealsService } from '../reveals/reveals.service.ts';
import type { MatchRepository } from './match.repository.ts';
import { noMatchToday, viewerSide, type Today, type TodayResolver } from './today.ts';

/** The stored bucket as the smallest count it stands for: bucketing it again gives it back. */
const BUCKET_COUNT = { '2': 2, '3-4': 3, '5+': 5 } as const;

export type DecisionOutcome = { state: 'waiting' | 'connected' | 'passed' };

type Deps = {
  today: TodayResolver;
  reveals: Pick<RevealsService, 'visibleOf'>;
  matches: Pick<MatchRepository, 'hasMatch'>;
  transact: <T>(
    work: (store: {
      matches: Pick<MatchRepository, 'lockMatch' | 'insertDecision' | 'decisionOf'>;
    }) => Promise<T>,
  ) => Promise<T>;
  clock: Clock;
};

/**
 * A `matchId` sent by a client names the card it acted on: a past match of theirs is expired
 * (410 `match_expired`: their day ended, today's card is another one), an unknown id is 404.
 */
export async function checkNamedMatch(
  matches: Pick<MatchRepository, 'hasMatch'>,
  today: Today,
  matchId: string | undefined,
): Promise<void> {
  if (matchId === undefined || matchId === today.match.matchId) return;
  if (await matches.hasMatch(today.viewer.id, matchId)) {
    throw new AppError(410, 'match_expired', 'that match has expired: its day is over');
  }
  throw notFound('match_not_found', 'no such match of yours');
}

export function createMatchService({ today: resolveToday, reveals, matches, transact, clock }: Deps) {
  return {
    /** Today's card (design section 5), the same all day: everything on it is stored or derived. */
    async card(externalId: string): Promise<MatchCard> {
      const today = await resolveToday(externalId);
      const { match } = today;
      const cp = match.counterpart;
      const gameOn = cp.allowGuessGame;
      const revealed =
        match.counterpartReveals === 0
          ? []
          : await reveals.visibleOf(match.counterpartExternalId, match.counterpartId);
      return maskCard({
        match: {
          matchId: match.matchId,
          matchDate: match.matchDate,
          expiresAt: today.expiresAt,
          score: match.score,
          scoreScale: 'percent',
          sharedMerchantCount: BUCKET_COUNT[match.sharedBucket],
          // Stored best first: descending weights keep that order.
          topSharedCategories: match.topCategories.map((category, i) => ({
            category: category as MerchantCategory,
            weight: match.topCategories.length - i,
          })),
          crossedPaths: match.crossedPaths,
        },
        viewerSide: viewerSide(match.userId, match.counterpartId),
        counterpart: { birthYear: cp.birthYear, gender: cp.gender, city: cp.city, verified: cp.verified },
        reveals: revealed,
        guessGame: {
          enabled: gameOn,
          guessesLeft: Math.max(0, GUESSES_PER_MATCH - match.myGuesses),
          confirmed: match.confirmed.map((m) => ({ name: m.name, category: m.category as MerchantCategory })),
        },
        decision: decisionState(match.myDecision, match.theirDecision, false),
      });
    },

    /**
     * Like or pass today's match, once (409 `already_decided`). Both rows of the match are locked,
     * so two likes at the same moment still see each other: the second one answers `connected`.
     * A pass ends nothing visible to the counterpart; a like answers `waiting` until the other
     * likes too, whether they passed or have not decided.
     */
    async decide(
      externalId: string,
      decision: 'like' | 'pass',
      matchId: string | undefined,
    ): Promise<DecisionOutcome> {
      const today = await resolveToday(externalId);
      await checkNamedMatch(matches, today, matchId);
      const { match } = today;
      return transact(async (store) => {
        const { open } = await store.matches.lockMatch(match.matchId);
        if (!open) throw noMatchToday('no_compatible_candidate');
        const inserted = await store.matches.insertDecision(
          match.matchId,
          match.userId,
          decision,
          clock.now(),
        );
        if (!inserted) throw conflict('already_decided', 'you have already decided on this match');
        if (decision === 'pass') return { state: 'passed' as const };
        const theirs = await store.matches.decisionOf(match.matchId, match.counterpartId);
        return { state: theirs === 'like' ? ('connected' as const) : ('waiting' as const) };
      });
    },
  };
}

export type MatchService = ReturnType<typeof createMatchService>;
