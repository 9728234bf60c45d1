import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { MatchCardSchema } from '../../core/masking/index.ts';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import type { GuessesService } from './guesses.service.ts';
import { DecisionInput, DecisionView, GuessInput, GuessView } from './match.schemas.ts';
import type { MatchService } from './match.service.ts';

export type MatchRouteOptions = {
  matchService: MatchService;
  guessesService: GuessesService;
  /** Per user and minute on the card. */
  cardRateLimitMax: number;
  /** Per user, minute and route on decisions and guesses. */
  actionRateLimitMax: number;
};

const perMinute = (max: number) => ({ rateLimit: { max, timeWindow: 60_000 } });

/** `/v1/me/match`: today's card, the decision and the guess game. */
export const matchRoutes: FastifyPluginAsyncZod<MatchRouteOptions> = async (
  app,
  { matchService, guessesService, cardRateLimitMax, actionRateLimitMax },
) => {
  app.get(
    '',
    {
      onRequest: app.requireUser,
      config: perMinute(cardRateLimitMax),
      schema: {
        tags: ['match'],
        summary: "Today's masked match card",
        description: `The same card all day: the day is my calendar date in my profile's time zone and
the card expires at my next midnight (expiresAt). 404 no_match_today with reason not_eligible (no
profile, a consent missing, or suspended), run_pending (today's run is not published yet) or
no_compatible_candidate (no pair for me today, or the match ended by a block, a report, a consent
withdrawal or an erasure).`,
        response: { 200: MatchCardSchema, 404: ErrorBody },
      },
    },
    (request) => matchService.card(callerId(request)),
  );

  app.post(
    '/decision',
    {
      onRequest: app.requireUser,
      config: perMinute(actionRateLimitMax),
      schema: {
        tags: ['match'],
        summary: "Like or pass today's match, once",
        description: `409 already_decided on a second decision; 410 match_expired when matchId names an
earlier card of mine (its day is over); 404 no_match_today as for the card. A mutual like answers
connected and shows both contact handles in /v1/me/connections.`,
        body: DecisionInput,
        response: { 200: DecisionView, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody, 410: ErrorBody },
      },
    },
    (request) => matchService.decide(callerId(request), request.body.decision, request.body.matchId),
  );

  app.post(
    '/guesses',
    {
      onRequest: app.requireUser,
      config: perMinute(actionRateLimitMax),
      schema: {
        tags: ['match'],
        summary: 'Guess where we have met: one of my merchants; 3 per match',
        description: `Refused without using a guess: 409 guess_game_disabled (my match does not play),
422 unknown_merchant, 422 not_purchased (not one of my merchants of the window), 422 not_k_anonymous
(fewer than K_ANON consenting customers: rare merchants are never played, whatever the answer), 409
already_guessed, 409 no_guesses_left; 410 match_expired as for decisions. A correct guess shows the
merchant on both cards.`,
        body: GuessInput,
        response: {
          200: GuessView,
          400: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          410: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    (request) => guessesService.guess(callerId(request), request.body.merchantId, request.body.matchId),
  );
  await Promise.resolve();
};
