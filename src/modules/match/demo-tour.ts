import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { MatchCardSchema, type MatchCard } from '../../core/masking/index.ts';
import { signJwt } from '../../plugins/jwt.ts';
import { ConnectionsView } from '../connections/connections.schemas.ts';
import { DecisionView } from './match.schemas.ts';

const NoMatch = z.object({ error: z.object({ code: z.literal('no_match_today'), reason: z.string() }) });

export type DemoTourOptions = {
  /** Three users' platform ids (token subjects) whose cards are printed. */
  users: readonly [string, string, string];
  /** The two who like each other; by default the first two of `users` sharing today's match. */
  likePair?: readonly [string, string];
  /** Where lines go (default: stdout). */
  print?: (line: string) => void;
  /** The instant the tokens are issued at (default: now). */
  now?: Date;
};

export type DemoTourResult = {
  cards: Record<string, MatchCard | { reason: string }>;
  /** The pair that liked each other, or null when no two of the users share a match today. */
  liked: readonly [string, string] | null;
  connected: boolean;
};

const describeCard = (card: MatchCard): string =>
  [
    `${card.alias}, ${card.ageBand}, ${card.gender}, ${card.city}${card.verified ? ', verified' : ''}`,
    `score ${String(card.score)}, ${card.reasons.sharedMerchantCount} shared merchants`,
    `top categories ${card.reasons.topSharedCategories.join('/') || '-'}`,
    card.reasons.crossedPaths ? 'crossed paths' : 'paths not crossed',
    `reveals ${card.revealedMerchants.map((m) => `${m.name} (${m.category})`).join(', ') || '-'}`,
    `guess game ${card.guessGame.enabled ? `${String(card.guessGame.guessesLeft)} left` : 'off'}`,
    `decision ${card.decision}, expires ${card.expiresAt}`,
  ].join('; ');

/**
 * The demo's walk through the daily match, over HTTP on a built app (`app.inject`, nothing
 * listens): prints today's card of three users as each sees it, then plays a mutual like between
 * two who are matched today and prints what each then sees in `/v1/me/connections`. Tokens are
 * minted with the app's own JWT settings. Everything printed is what the users themselves receive.
 */
export async function playDemoTour(
  app: FastifyInstance,
  config: Pick<Config, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
  options: DemoTourOptions,
): Promise<DemoTourResult> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? new Date();
  const settings = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const headers = (sub: string) => ({
    authorization: `Bearer ${signJwt({ sub, role: 'user' }, settings, { now, ttlSeconds: 600 })}`,
  });

  const cards: DemoTourResult['cards'] = {};
  print("Today's cards:");
  for (const user of options.users) {
    const response = await app.inject({ method: 'GET', url: '/v1/me/match', headers: headers(user) });
    if (response.statusCode === 200) {
      const card = MatchCardSchema.parse(response.json());
      cards[user] = card;
      print(`  ${user} sees ${describeCard(card)}`);
    } else {
      const { reason } = NoMatch.parse(response.json()).error;
      cards[user] = { reason };
      print(`  ${user}: no match today (${reason})`);
    }
  }

  const matchIdOf = (user: string): string | undefined => {
    const card = cards[user];
    return card !== undefined && 'matchId' in card ? card.matchId : undefined;
  };
  const [a, b, c] = options.users;
  const liked =
    options.likePair ??
    (
      [
        [a, b],
        [a, c],
        [b, c],
      ] as const
    ).find(([x, y]) => matchIdOf(x) !== undefined && matchIdOf(x) === matchIdOf(y)) ??
    null;
  if (liked === null) {
    print('No two of these users are matched with each other today: no like to play.');
    return { cards, liked: null, connected: false };
  }

  let connected = false;
  for (const user of liked) {
    const response = await app.inject({
      method: 'POST',
      url: '/v1/me/match/decision',
      headers: headers(user),
      payload: { decision: 'like' },
    });
    if (response.statusCode !== 200) {
      print(`  ${user} could not like: ${response.body}`);
      continue;
    }
    const { state } = DecisionView.parse(response.json());
    connected = state === 'connected';
    print(`  ${user} likes -> ${state}`);
  }
  for (const user of liked) {
    const response = await app.inject({ method: 'GET', url: '/v1/me/connections', headers: headers(user) });
    const { connections } = ConnectionsView.parse(response.json());
    for (const connection of connections) {
      print(`  ${user} is connected with ${connection.alias}: contact ${connection.theirs.contactHandle}`);
    }
  }
  return { cards, liked, connected };
}
