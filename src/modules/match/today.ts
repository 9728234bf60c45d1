import DataLoader from 'dataloader';
import type { Clock } from '../../clock.ts';
import { notFound } from '../../errors.ts';
import { addDays, startOfDay } from '../../queue/schedule.ts';
import type { MatchRepository, MatchView, TodayLookup, Viewer } from './match.repository.ts';

/** Why there is no card today (design section 3). */
export type NoMatchReason = 'not_eligible' | 'no_compatible_candidate' | 'run_pending';

export const noMatchToday = (reason: NoMatchReason) =>
  notFound('no_match_today', NO_MATCH_MESSAGES[reason], { reason });

const NO_MATCH_MESSAGES: Record<NoMatchReason, string> = {
  not_eligible:
    'no match: a profile and current consents to transactions and matching are needed, and the account must not be suspended',
  no_compatible_candidate: 'no match today',
  run_pending: "today's matches are not published yet, try again later",
};

/** Today's open match of a user, with the day it belongs to. */
export type Today = {
  viewer: Viewer & { timezone: string };
  /** The user's calendar date in their profile's time zone. */
  date: string;
  /** The next local midnight: the match ends with the user's day. */
  expiresAt: Date;
  match: MatchView & { counterpart: NonNullable<MatchView['counterpart']> };
};

type Deps = { matches: Pick<MatchRepository, 'todayOf'>; clock: Clock };

/** Callers read by one statement at most: the batch's parameter stays a small array. */
const TODAY_BATCH_MAX = 128;

/**
 * Finds "today's match" in one query: the matches row dated the user's own calendar date in their
 * profile time zone (at the injected clock's now), from a published run, still open. Throws the 404 `no_match_today` with its reason:
 * `not_eligible` (unknown user, no profile, a consent missing, suspended), `run_pending` (the run
 * of that date is not published), `no_compatible_candidate` (no row, or the match ended by a
 * block, a report, a withdrawal or an erasure). A pass does not end a match: the passer keeps
 * the card (state `passed`) and the counterpart is not told.
 *
 * The callers of one turn of the event loop share that query (a DataLoader scheduled with
 * `setImmediate`, nothing cached between batches): under load a card's cost is mostly its round
 * trip to Postgres, and a batch pays it once (bench/RESULTS.md). Each caller still gets only their
 * own row, read at the batch's `now`.
 */
export function createTodayResolver({ matches, clock }: Deps) {
  const lookups = new DataLoader<string, TodayLookup | undefined>(
    (externalIds) => matches.todayOf(externalIds, clock.now()),
    { cache: false, maxBatchSize: TODAY_BATCH_MAX, batchScheduleFn: (run) => setImmediate(run) },
  );
  return async (externalId: string): Promise<Today> => {
    const found = await lookups.load(externalId);
    const viewer = found?.viewer;
    const timezone = viewer?.timezone ?? null;
    const date = found?.date ?? null;
    if (
      found === undefined ||
      viewer === undefined ||
      timezone === null ||
      date === null ||
      viewer.suspended ||
      !viewer.transactionsConsent ||
      !viewer.matchingConsent
    ) {
      throw noMatchToday('not_eligible');
    }
    const { runPublished, match } = found;
    if (!runPublished) throw noMatchToday('run_pending');
    if (match?.counterpart == null || match.endedAt !== null) throw noMatchToday('no_compatible_candidate');
    return {
      viewer: { ...viewer, timezone },
      date,
      expiresAt: startOfDay(addDays(date, 1), timezone),
      match: { ...match, counterpart: match.counterpart },
    };
  };
}

export type TodayResolver = ReturnType<typeof createTodayResolver>;

/** `a` when the viewer's internal id sorts before the counterpart's (bigint order), else `b`. */
export const viewerSide = (viewerId: string, counterpartId: string): 'a' | 'b' =>
  BigInt(viewerId) < BigInt(counterpartId) ? 'a' : 'b';
