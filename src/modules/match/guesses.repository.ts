import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';

/** Queries of the guess game ("guess where we have met"). */
export function createGuessesRepository(db: Kysely<Database>) {
  return {
    async merchantId(externalId: string): Promise<string | undefined> {
      const row = await db
        .selectFrom('merchants')
        .select('id')
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row?.id;
    },

    async countMine(matchId: string, userId: string): Promise<number> {
      const row = await db
        .selectFrom('guesses')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('match_id', '=', matchId)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Records a guess; false when the user already guessed this merchant in this match. */
    async insert(
      matchId: string,
      userId: string,
      merchantId: string,
      correct: boolean,
      at: Date,
    ): Promise<boolean> {
      const row = await db
        .insertInto('guesses')
        .values({ match_id: matchId, user_id: userId, merchant_id: merchantId, correct, created_at: at })
        .onConflict((oc) => oc.columns(['match_id', 'user_id', 'merchant_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** Whether the user bought at the merchant since local midnight of `fromDate` in `timeZone`. */
    async boughtSince(
      userId: string,
      merchantId: string,
      fromDate: string,
      timeZone: string,
    ): Promise<boolean> {
      const { rows } = await sql<{ bought: boolean }>`
        SELECT EXISTS (
          SELECT 1 FROM transactions t
          WHERE t.user_id = ${userId} AND t.merchant_id = ${merchantId}
            AND t.occurred_at >= (${fromDate}::date::timestamp AT TIME ZONE ${timeZone})
        ) AS bought`.execute(db);
      return rows[0]?.bought === true;
    },
  };
}

export type GuessesRepository = ReturnType<typeof createGuessesRepository>;
