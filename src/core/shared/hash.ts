/**
 * Pure, seedless 32-bit hashes used wherever the core needs a deterministic but unbiased order
 * or pick (tie-breaks in pairing, aliases in masking). Not cryptographic: nothing secret rests on
 * them, they only have to spread inputs evenly and never change between releases.
 */

/** The FNV-1a 32-bit offset basis: the state of {@link fnv1a32} before any character. */
export const FNV1A32_OFFSET = 0x811c9dc5;

const FNV1A32_PRIME = 0x01000193;

/**
 * Continues an FNV-1a 32-bit hash over the UTF-16 code units of `text`:
 * for each unit c, `state = (state XOR c) · 16777619 mod 2³²`. Feeding `a` then `b` gives the
 * same state as feeding `a + b`, so callers can hash a composite key without concatenating.
 */
export function fnv1a32Update(state: number, text: string): number {
  let h = state >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    h = Math.imul(h ^ text.charCodeAt(i), FNV1A32_PRIME) >>> 0;
  }
  return h;
}

/** FNV-1a 32-bit of a string's UTF-16 code units, as an unsigned integer in [0, 2³²). */
export function fnv1a32(text: string): number {
  return fnv1a32Update(FNV1A32_OFFSET, text);
}

/**
 * MurmurHash3's 32-bit finalizer: a bijection on [0, 2³²) that makes every output bit depend on
 * every input bit, so that `fmix32(h) mod n` is close to uniform even for small n.
 */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
