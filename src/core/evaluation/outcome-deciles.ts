import { rocAuc } from './metrics.ts';

/**
 * Outcome quality of a score against history (design section 7): past shown matches scored by the
 * evaluated weight set, against whether they became a mutual like. Pure.
 */

/** One past shown match with at least one decision. `users` are opaque indices, never ids. */
export interface ScoredOutcome {
  /** The evaluated set's full score of the pair, in [0, 1]. */
  score: number;
  users: readonly [number, number];
  /** Decisions made on the match (1 or 2) and how many of them were likes. */
  decisions: number;
  likes: number;
  /** Both sides liked. */
  mutual: boolean;
}

export interface OutcomeDecile {
  decile: number;
  matches: number;
  likeRate: number | null;
  mutualRate: number | null;
}

/**
 * The score decile of each outcome, 1 (lowest) to 10: `⌊10·b/n⌋ + 1` where b counts the outcomes
 * scoring strictly lower. Equal scores share a decile (so a decile may be empty), and ranks, not
 * values, decide: each decile holds about a tenth of the matches.
 */
export function decilesOf(scores: readonly number[]): Int8Array {
  const n = scores.length;
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const out = new Int8Array(n);
  let below = 0;
  for (let r = 0; r < n; r++) {
    if (r > 0 && scores[order[r]!]! > scores[order[r - 1]!]!) below = r;
    out[order[r]!] = Math.floor((10 * below) / n) + 1;
  }
  return out;
}

/**
 * Per score decile: the matches, the like rate (likes per decision) and the mutual-like rate
 * (mutual likes per match). Rates of a decile whose matches involve fewer than `k` distinct users
 * are withheld (null), as are rates of an empty decile.
 */
export function outcomeDeciles(outcomes: readonly ScoredOutcome[], k: number): OutcomeDecile[] {
  const decile = decilesOf(outcomes.map((o) => o.score));
  const acc = Array.from({ length: 10 }, () => ({
    matches: 0,
    decisions: 0,
    likes: 0,
    mutual: 0,
    users: new Set<number>(),
  }));
  outcomes.forEach((o, i) => {
    const a = acc[decile[i]! - 1]!;
    a.matches += 1;
    a.decisions += o.decisions;
    a.likes += o.likes;
    if (o.mutual) a.mutual += 1;
    a.users.add(o.users[0]).add(o.users[1]);
  });
  return acc.map((a, i) => {
    const shown = a.matches > 0 && a.users.size >= k;
    return {
      decile: i + 1,
      matches: a.matches,
      likeRate: shown && a.decisions > 0 ? a.likes / a.decisions : null,
      mutualRate: shown ? a.mutual / a.matches : null,
    };
  });
}

/**
 * ROC AUC of the score with mutual likes as positives and the other decided matches as
 * negatives (the core's Mann–Whitney `rocAuc`, ties half). Null without both classes, or when the
 * matches involve fewer than `k` distinct users.
 */
export function outcomeAuc(outcomes: readonly ScoredOutcome[], k: number): number | null {
  const users = new Set<number>();
  for (const o of outcomes) users.add(o.users[0]).add(o.users[1]);
  if (users.size < k) return null;
  const auc = rocAuc(
    outcomes.filter((o) => o.mutual).map((o) => o.score),
    outcomes.filter((o) => !o.mutual).map((o) => o.score),
  );
  return Number.isNaN(auc) ? null : auc;
}
