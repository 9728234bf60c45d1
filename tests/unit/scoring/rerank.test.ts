import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coPresenceOf, rerankPool, spendLevelOf, type RankedPair } from '../../../src/core/scoring/rerank.ts';

/** Design section 4 term by term, ranked with a comparator: what rerankPool must return. */
function naiveRerank(
  rows: Array<{ candidate: number; overlap: number; shared: number; count: number; ticket: number }>,
  userTicket: number,
  blend: { overlap: number; coPresence: number; spendLevel: number },
  minShared: number,
  topK: number,
): RankedPair[] {
  return rows
    .filter((r) => r.shared >= minShared)
    .map((r) => {
      const overlap = Math.min(1, Math.max(0, r.overlap));
      const coPresence = coPresenceOf(r.count);
      const spendLevel = spendLevelOf(userTicket, r.ticket);
      const score = Math.min(
        1,
        blend.overlap * overlap + blend.coPresence * coPresence + blend.spendLevel * spendLevel,
      );
      return {
        candidate: r.candidate,
        overlap,
        coPresence,
        spendLevel,
        sharedMerchantCount: r.shared,
        score,
        score100: Math.round(100 * score),
      };
    })
    .sort((a, b) => b.score - a.score || a.candidate - b.candidate)
    .slice(0, topK);
}

describe('rerankPool', () => {
  it('keeps the topK by full score, ties by the smaller candidate, with every component', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            candidate: fc.integer({ min: 0, max: 500 }),
            // a coarse grid: equal scores, where the tie order matters
            overlap: fc.integer({ min: -2, max: 14 }).map((x) => x / 12),
            shared: fc.integer({ min: 0, max: 6 }),
            count: fc.integer({ min: 0, max: 5 }),
            ticket: fc.constantFrom(0, 100, 200, 400),
          }),
          { selector: (r) => r.candidate, maxLength: 80 },
        ),
        fc.constantFrom(0, 100, 300),
        fc.constantFrom(
          { overlap: 0.8, coPresence: 0.1, spendLevel: 0.1 },
          { overlap: 1, coPresence: 0, spendLevel: 0 },
          { overlap: 0.5, coPresence: 0.25, spendLevel: 0.25 },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 60 }),
        (rows, userTicket, blend, minSharedMerchants, topK) => {
          const got = rerankPool(
            {
              candidates: Int32Array.from(rows, (r) => r.candidate),
              overlap: Float64Array.from(rows, (r) => r.overlap),
              shared: Int32Array.from(rows, (r) => r.shared),
              coPresenceCount: Int32Array.from(rows, (r) => r.count),
              avgTicketUser: userTicket,
              avgTicketCandidate: Float64Array.from(rows, (r) => r.ticket),
            },
            { blend, minSharedMerchants, topK },
          );
          expect(got).toEqual(naiveRerank(rows, userTicket, blend, minSharedMerchants, topK));
        },
      ),
      { numRuns: 400 },
    );
  });
});
