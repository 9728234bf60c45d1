import type { Clock } from '../../clock.ts';
import { GUESSES_PER_MATCH } from '../../core/masking/index.ts';
import { AppError, conflict } from '../../errors.ts';
import type { MeService } from '../me/me.service.ts';
import type { GuessesRepository } from './guesses.repository.ts';
import type { MatchRepository } from './match.repository.ts';
import { checkNamedMatch } from './match.service.ts';
import { noMatchToday, type TodayResolver } from './today.ts';

export type GuessOutcome = { correct: boolean; guessesLeft: number };

const unprocessable = (code: string, message: string) => new AppError(422, code, message);

type Deps = {
  today: TodayResolver;
  /** `GET /v1/me/merchants`'s query: the guesser's merchants of the window with k-anonymity. */
  ownMerchants: Pick<MeService, 'merchants'>;
  matches: Pick<MatchRepository, 'hasMatch'>;
  guesses: Pick<GuessesRepository, 'merchantId'>;
  transact: <T>(
    work: (store: {
      matches: Pick<MatchRepository, 'lockMatch'>;
      guesses: Pick<GuessesRepository, 'countMine' | 'insert' | 'boughtSince'>;
    }) => Promise<T>,
  ) => Promise<T>;
  clock: Clock;
};

/**
 * "Guess where we have met" (design section 5). The guesser names one of their own merchants of
 * the active window; the answer says whether the counterpart bought there in the same window, and
 * a correct guess shows the merchant on both cards. Refused before anything is recorded, without
 * using a guess: the counterpart disallows the game (409 `guess_game_disabled`), an unknown
 * merchant (422 `unknown_merchant`), not one of mine in the window (422 `not_purchased`), one
 * that fails k-anonymity (422 `not_k_anonymous`: so the game can never probe a rare merchant,
 * whatever the answer would be), a merchant already guessed (409 `already_guessed`), no guess
 * left (409 `no_guesses_left`). Three guesses per guesser and match, counted under the match's
 * row lock so that concurrent guesses cannot exceed them.
 */
export function createGuessesService({
  today: resolveToday,
  ownMerchants,
  matches,
  guesses,
  transact,
  clock,
}: Deps) {
  return {
    async guess(externalId: string, merchantId: string, matchId: string | undefined): Promise<GuessOutcome> {
      const today = await resolveToday(externalId);
      await checkNamedMatch(matches, today, matchId);
      const { match } = today;
      if (!match.counterpart.allowGuessGame) {
        throw conflict('guess_game_disabled', 'your match does not play the guessing game');
      }
      const own = await ownMerchants.merchants(externalId);
      const mine = own.merchants.find((m) => m.merchantId === merchantId);
      if (mine === undefined) {
        if ((await guesses.merchantId(merchantId)) === undefined) {
          throw unprocessable('unknown_merchant', 'no such merchant');
        }
        throw unprocessable('not_purchased', 'guess among your own merchants of the scoring window');
      }
      if (!mine.revealable) {
        throw unprocessable(
          'not_k_anonymous',
          'too few customers bought there to use it in the game; no guess was used',
        );
      }
      const internalMerchantId = await guesses.merchantId(merchantId);
      if (internalMerchantId === undefined) throw unprocessable('unknown_merchant', 'no such merchant');
      return transact(async (store) => {
        const { open } = await store.matches.lockMatch(match.matchId);
        if (!open) throw noMatchToday('no_compatible_candidate');
        const used = await store.guesses.countMine(match.matchId, match.userId);
        if (used >= GUESSES_PER_MATCH) throw conflict('no_guesses_left', 'no guesses left for this match');
        const correct = await store.guesses.boughtSince(
          match.counterpartId,
          internalMerchantId,
          own.since,
          own.timezone,
        );
        const inserted = await store.guesses.insert(
          match.matchId,
          match.userId,
          internalMerchantId,
          correct,
          clock.now(),
        );
        if (!inserted) throw conflict('already_guessed', 'you already guessed this merchant');
        return { correct, guessesLeft: GUESSES_PER_MATCH - used - 1 };
      });
    },
  };
}

export type GuessesService = ReturnType<typeof createGuessesService>;
