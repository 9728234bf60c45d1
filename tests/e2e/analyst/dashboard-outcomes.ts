import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../src/db/types.ts';

type Pair = { match_id: string; a: string; b: string; score: number };

/**
 * Decisions on a published day's matches, as users would make them, deterministic and tied to the
 * score: the best-scored third of the pairs turn into a mutual like every other pair, the middle
 * third every fourth, the rest never; most other pairs get one like or two passes. So the metrics
 * and evaluations have outcomes to measure, with mutual likes rising with the score.
 */
export async function recordOutcomes(db: Kysely<Database>, date: string): Promise<void> {
  const { rows } = await sql<Pair>`
    SELECT match_id, min(user_id)::text AS a, max(user_id)::text AS b, min(score) AS score
    FROM matches WHERE match_date = ${date}
    GROUP BY match_id ORDER BY min(score) DESC, match_id`.execute(db);
  const decisions: { match_id: string; user_id: string; decision: 'like' | 'pass' }[] = [];
  rows.forEach((pair, i) => {
    const third = Math.floor((3 * i) / rows.length);
    const mutual = (third === 0 && i % 2 === 0) || (third === 1 && i % 4 === 0);
    const oneLike = !mutual && i % 3 !== 2;
    decisions.push(
      { match_id: pair.match_id, user_id: pair.a, decision: mutual || oneLike ? 'like' : 'pass' },
      { match_id: pair.match_id, user_id: pair.b, decision: mutual ? 'like' : 'pass' },
    );
  });
  if (decisions.length > 0) await db.insertInto('decisions').values(decisions).execute();
}
