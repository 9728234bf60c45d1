import type { Db } from '../db/database.ts';

/**
 * The end of the demo: today's masked cards for three users, then a mutual like between one pair
 * and the connection it opens, all through the public API with each user's own token.
 */
export type TourOptions = {
  baseUrl: string;
  db: Db;
  date: string;
  tokenFor: (externalUserId: string) => string;
  say: (line: string) => void;
};

async function asUser(options: TourOptions, userId: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${options.baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.tokenFor(userId)}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json().catch((): unknown => null) };
}

const indent = (value: unknown): string => JSON.stringify(value, null, 2).replaceAll('\n', '\n      ');

export async function printCardsAndPlayLike(options: TourOptions): Promise<void> {
  const { db, date, say } = options;
  // The operator's console may name the demo's own users; the API never does.
  const pairs = await db
    .selectFrom('matches as m')
    .innerJoin('users as me', 'me.id', 'm.user_id')
    .innerJoin('users as other', 'other.id', 'm.counterpart_id')
    .select(['me.external_id as userId', 'other.external_id as counterpartId', 'm.score'])
    .where('m.match_date', '=', date)
    .where('m.ended_at', 'is', null)
    .orderBy('m.score', 'desc')
    .orderBy('me.external_id')
    .limit(6)
    .execute();
  if (pairs.length === 0) {
    say('    no user was paired today');
    return;
  }
  const shown = pairs
    .filter((p, i) => pairs.findIndex((q) => q.userId === p.counterpartId) > i || i < 3)
    .slice(0, 3);
  for (const { userId } of shown) {
    const card = await asUser(options, userId, 'GET', '/v1/me/match');
    say(`    ${userId} sees (${String(card.status)}):\n      ${indent(card.body)}`);
  }

  const [first] = pairs;
  if (first === undefined) return;
  say(`    ${first.userId} and ${first.counterpartId} both like each other:`);
  for (const userId of [first.userId, first.counterpartId]) {
    const decided = await asUser(options, userId, 'POST', '/v1/me/match/decision', { decision: 'like' });
    say(`      ${userId} → ${String(decided.status)} ${JSON.stringify(decided.body)}`);
  }
  const connections = await asUser(options, first.userId, 'GET', '/v1/me/connections');
  say(
    `    ${first.userId}'s connections (${String(connections.status)}):\n      ${indent(connections.body)}`,
  );
}
