import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Database, Gender, MatchesTable } from '../../db/types.ts';

/** The caller as "today's match" needs them: eligibility and the zone of their day. */
export type Viewer = {
  id: string;
  suspended: boolean;
  /** Null when the user has no profile. */
  timezone: string | null;
  transactionsConsent: boolean;
  matchingConsent: boolean;
};

/** A user's matches row for one date with what the card shows of the counterpart. */
export type MatchView = {
  matchId: string;
  matchDate: string;
  userId: string;
  counterpartId: string;
  counterpartExternalId: string;
  score: number;
  sharedBucket: '2' | '3-4' | '5+';
  topCategories: string[];
  crossedPaths: boolean;
  endedAt: Date | null;
  endedReason: MatchesTable['ended_reason'];
  /** Null when the counterpart has no profile any more. */
  counterpart: {
    birthYear: number;
    gender: Gender;
    city: string;
    verified: boolean;
    allowGuessGame: boolean;
  } | null;
  myDecision: 'like' | 'pass' | null;
  theirDecision: 'like' | 'pass' | null;
  myGuesses: number;
  counterpartReveals: number;
  /** Merchants confirmed by either side's correct guesses in this match, oldest first. */
  confirmed: { name: string; category: string }[];
};

type DayLookup = { runPublished: boolean; match: MatchView | undefined };

/** The viewer, their calendar date and that date's match, read in one statement. */
export type TodayLookup = { viewer: Viewer; date: string | null } & DayLookup;

type ViewerColumns = {
  viewer_id: string;
  suspended: boolean;
  timezone: string | null;
  transactions_consent: boolean;
  matching_consent: boolean;
  today: string | null;
};

type MatchRow = {
  run_published: boolean;
  match_id: string | null;
  match_date: string;
  user_id: string;
  counterpart_id: string;
  counterpart_external_id: string;
  score: number;
  shared_bucket: '2' | '3-4' | '5+';
  top_categories: string[];
  crossed_paths: boolean;
  ended_at: Date | null;
  ended_reason: MatchesTable['ended_reason'];
  birth_year: number | null;
  gender: Gender | null;
  city: string | null;
  verified: boolean;
  allow_guess_game: boolean | null;
  my_decision: 'like' | 'pass' | null;
  their_decision: 'like' | 'pass' | null;
  my_guesses: number;
  counterpart_reveals: number;
  confirmed: { name: string; category: string }[];
};

const toMatchView = (row: MatchRow & { match_id: string }): MatchView => ({
  matchId: row.match_id,
  matchDate: row.match_date,
  userId: row.user_id,
  counterpartId: row.counterpart_id,
  counterpartExternalId: row.counterpart_external_id,
  score: row.score,
  sharedBucket: row.shared_bucket,
  topCategories: row.top_categories,
  crossedPaths: row.crossed_paths,
  endedAt: row.ended_at,
  endedReason: row.ended_reason,
  counterpart:
    row.birth_year === null || row.gender === null || row.city === null
      ? null
      : {
          birthYear: row.birth_year,
          gender: row.gender,
          city: row.city,
          verified: row.verified,
          allowGuessGame: row.allow_guess_game ?? false,
        },
  myDecision: row.my_decision,
  theirDecision: row.their_decision,
  myGuesses: row.my_guesses,
  counterpartReveals: row.counterpart_reveals,
  confirmed: row.confirmed,
});

const toTodayLookup = (row: ViewerColumns & MatchRow): TodayLookup => {
  const { match_id: matchId } = row;
  return {
    viewer: {
      id: row.viewer_id,
      suspended: row.suspended,
      timezone: row.timezone,
      transactionsConsent: row.transactions_consent,
      matchingConsent: row.matching_consent,
    },
    date: row.today,
    runPublished: row.run_published,
    match: matchId === null ? undefined : toMatchView({ ...row, match_id: matchId }),
  };
};

/** The columns of a matches row `m` with its counterpart `cu`/`cp`, as {@link MatchRow} names them. */
const MATCH_COLUMNS = sql`
  m.match_id, m.match_date::text AS match_date, m.user_id, m.counterpart_id,
  cu.external_id AS counterpart_external_id, m.score, m.shared_bucket, m.top_categories,
  m.crossed_paths, m.ended_at, m.ended_reason,
  cp.birth_year, cp.gender, cp.city, coalesce(cu.verified, false) AS verified, cp.allow_guess_game,
  (SELECT d.decision FROM decisions d WHERE d.match_id = m.match_id AND d.user_id = m.user_id) AS my_decision,
  (SELECT d.decision FROM decisions d WHERE d.match_id = m.match_id AND d.user_id = m.counterpart_id) AS their_decision,
  (SELECT count(*)::int FROM guesses g WHERE g.match_id = m.match_id AND g.user_id = m.user_id) AS my_guesses,
  (SELECT count(*)::int FROM reveals rv WHERE rv.user_id = m.counterpart_id) AS counterpart_reveals,
  coalesce((
    SELECT json_agg(json_build_object('name', mm.name, 'category', mm.category) ORDER BY g.id)
    FROM guesses g JOIN merchants mm ON mm.id = g.merchant_id
    WHERE g.match_id = m.match_id AND g.correct
  ), '[]'::json) AS confirmed`;

/**
 * Queries behind the daily match: one statement reads everything the cards of a batch of callers
 * need, so that the hot `GET /v1/me/match` costs a share of one round trip. Given `prepared` (the pool under `db`), that statement
 * runs as a named prepared statement: Postgres plans it once per connection instead of once per
 * request (planning cost three times the execution; bench/RESULTS.md). It is still written and
 * compiled by Kysely; only its execution goes through the pool.
 */
export function createMatchRepository(db: Kysely<Database>, prepared?: Pick<pg.Pool, 'query'>) {
  return {
    async viewer(externalId: string): Promise<Viewer | undefined> {
      const row = await db
        .selectFrom('users as u')
        .leftJoin('profiles as p', 'p.user_id', 'u.id')
        .select([
          'u.id',
          sql<boolean>`u.suspended_at IS NOT NULL`.as('suspended'),
          'p.timezone',
          // kept from the consent ledger by its trigger (migration 0400_consent_state)
          'u.transactions_consent',
          'u.matching_consent',
        ])
        .where('u.external_id', '=', externalId)
        .executeTakeFirst();
      return (
        row && {
          id: row.id,
          suspended: row.suspended,
          timezone: row.timezone,
          transactionsConsent: row.transactions_consent,
          matchingConsent: row.matching_consent,
        }
      );
    },

    /**
     * The hot path of `GET /v1/me/match`, one statement for a batch of callers: for each external
     * id, the viewer (eligibility, time zone), their calendar date at `now` in that zone, whether
     * that date's run is published, and their matches row of that date (only when it is) with
     * everything the card shows. The answer is aligned with `externalIds`: undefined for an unknown
     * user; `date` is null without a profile. Every row is a function of its own caller only, so a
     * batch answers each caller exactly as a statement of their own would.
     */
    async todayOf(externalIds: readonly string[], now: Date): Promise<(TodayLookup | undefined)[]> {
      const query = sql<ViewerColumns & MatchRow & { ord: string }>`
        WITH v AS (
          SELECT q.ord, u.id, u.suspended_at IS NOT NULL AS suspended, p.timezone,
            u.transactions_consent, u.matching_consent,
            (${now}::timestamptz AT TIME ZONE p.timezone)::date AS today
          FROM unnest(${externalIds}::text[]) WITH ORDINALITY AS q(external_id, ord)
          JOIN users u ON u.external_id = q.external_id
          LEFT JOIN profiles p ON p.user_id = u.id
        ),
        run AS (
          SELECT v.*, EXISTS (
            SELECT 1 FROM scoring_runs r WHERE r.business_date = v.today AND r.status = 'published'
          ) AS published
          FROM v
        )
        SELECT run.ord, run.id AS viewer_id, run.suspended, run.timezone, run.transactions_consent,
          run.matching_consent, run.today::text AS today, run.published AS run_published,
          ${MATCH_COLUMNS}
        FROM run
        LEFT JOIN matches m ON run.published AND m.user_id = run.id AND m.match_date = run.today
        LEFT JOIN users cu ON cu.id = m.counterpart_id
        LEFT JOIN profiles cp ON cp.user_id = m.counterpart_id
      `;
      const rows =
        prepared === undefined
          ? (await query.execute(db)).rows
          : await (async () => {
              const compiled = query.compile(db);
              const result = await prepared.query<ViewerColumns & MatchRow & { ord: string }>({
                name: 'kindred.match.today.v3',
                text: compiled.sql,
                values: [...compiled.parameters],
              });
              return result.rows;
            })();
      // Dense: DataLoader rejects an array whose last element is a hole.
      const found = new Array<TodayLookup | undefined>(externalIds.length).fill(undefined);
      for (const row of rows) found[Number(row.ord) - 1] = toTodayLookup(row);
      return found;
    },

    /** Whether the user ever had a match with this id (any date). */
    async hasMatch(userId: string, matchId: string): Promise<boolean> {
      const row = await db
        .selectFrom('matches')
        .select('match_id')
        .where('user_id', '=', userId)
        .where('match_id', '=', matchId)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Locks both rows of a match (user id order, so that two callers cannot deadlock) until the end
     * of the transaction, and says whether the match is still open.
     */
    async lockMatch(matchId: string): Promise<{ open: boolean }> {
      const rows = await db
        .selectFrom('matches')
        .select(['user_id', 'ended_at'])
        .where('match_id', '=', matchId)
        .orderBy('user_id')
        .forUpdate()
        .execute();
      return { open: rows.length === 2 && rows.every((r) => r.ended_at === null) };
    },

    /** Records a decision once; false when the user had already decided. */
    async insertDecision(
      matchId: string,
      userId: string,
      decision: 'like' | 'pass',
      at: Date,
    ): Promise<boolean> {
      const row = await db
        .insertInto('decisions')
        .values({ match_id: matchId, user_id: userId, decision, decided_at: at })
        .onConflict((oc) => oc.columns(['match_id', 'user_id']).doNothing())
        .returning('decision')
        .executeTakeFirst();
      return row !== undefined;
    },

    async decisionOf(matchId: string, userId: string): Promise<'like' | 'pass' | null> {
      const row = await db
        .selectFrom('decisions')
        .select('decision')
        .where('match_id', '=', matchId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row?.decision ?? null;
    },

    /** Ends both rows of a match if still open; returns whether it was open. */
    async endMatch(
      matchId: string,
      reason: NonNullable<MatchesTable['ended_reason']>,
      at: Date,
    ): Promise<boolean> {
      const rows = await db
        .updateTable('matches')
        .set({ ended_at: at, ended_reason: reason })
        .where('match_id', '=', matchId)
        .where('ended_at', 'is', null)
        .returning('user_id')
        .execute();
      return rows.length > 0;
    },
  };
}

export type MatchRepository = ReturnType<typeof createMatchRepository>;
