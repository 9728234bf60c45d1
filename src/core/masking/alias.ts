import { fmix32, fnv1a32 } from '../shared/hash.ts';
import { ALIAS_ADJECTIVES, ALIAS_NOUNS } from './words.ts';

/**
 * Which of the two users of a match is looking: `a` is the user whose internal id sorts first
 * (pairing's `MatchedPair.a`), `b` the other.
 */
export type ViewerSide = 'a' | 'b';

const ALIASES = ALIAS_ADJECTIVES.length * ALIAS_NOUNS.length;

const aliasAt = (index: number): string =>
  `${ALIAS_ADJECTIVES[Math.floor(index / ALIAS_NOUNS.length)] as string} ${ALIAS_NOUNS[index % ALIAS_NOUNS.length] as string}`;

/**
 * The pseudonym under which the viewer on `side` sees the counterpart of match `matchId`.
 * With `h = fnv1a32("alias|" + matchId)` and N = 4,096 word pairs: side `a` gets word pair
 * `ia = fmix32(h) mod N`, side `b` gets `(ia + 1 + fmix32(h XOR 0x9e3779b9) mod (N − 1)) mod N`,
 * so the two viewers of one match always see different aliases, and each alias is a pure function
 * of (match, side): stable across requests, and nothing about either user goes in.
 */
export function aliasFor(matchId: string, side: ViewerSide): string {
  const h = fnv1a32(`alias|${matchId}`);
  const first = fmix32(h) % ALIASES;
  if (side === 'a') return aliasAt(first);
  return aliasAt((first + 1 + (fmix32((h ^ 0x9e3779b9) >>> 0) % (ALIASES - 1))) % ALIASES);
}
