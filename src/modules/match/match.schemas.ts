import { z } from 'zod';
import { GUESSES_PER_MATCH } from '../../core/masking/index.ts';

const MatchIdField = z
  .guid()
  .optional()
  .describe(
    "the matchId of the card acted on; when it is not today's card any more the answer is 410 match_expired instead of acting on a newer card",
  );

export const DecisionInput = z.strictObject({ decision: z.enum(['like', 'pass']), matchId: MatchIdField });

export const DecisionView = z
  .strictObject({
    state: z
      .enum(['waiting', 'connected', 'passed'])
      .describe('connected on a mutual like; waiting after a like otherwise (a pass is never told)'),
  })
  .meta({ id: 'Decision' });

export const GuessInput = z.strictObject({
  merchantId: z.string().min(1).max(128).describe('one of my own merchants of the scoring window'),
  matchId: MatchIdField,
});

export const GuessView = z
  .strictObject({
    correct: z.boolean().describe('whether my match also bought there in the window'),
    guessesLeft: z.int().min(0).max(GUESSES_PER_MATCH),
  })
  .meta({ id: 'Guess' });
