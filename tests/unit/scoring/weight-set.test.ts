import { describe, expect, it } from 'vitest';
import { coPresenceOf, rerankPool, spendLevelOf } from '../../../src/core/scoring/rerank.ts';
import {
  DEFAULT_WEIGHT_SET,
  MERCHANT_CATEGORIES,
  WeightSetSchema,
} from '../../../src/core/scoring/weight-set.ts';

describe('WeightSetSchema', () => {
  it('parses {} to the seed weight set of design section 4', () => {
    expect(DEFAULT_WEIGHT_SET).toEqual({
      windowDays: 30,
      minAmountCents: 100,
      visitTransform: 'log1p',
      idfExponent: 1,
      recencyHalfLifeDays: 0,
      maxMerchantShare: 0.05,
      minSharedMerchants: 2,
      categoryWeights: {},
      normalization: 'sqrt',
      blend: { overlap: 0.8, coPresence: 0.1, spendLevel: 0.1 },
      coPresenceMinutes: 120,
      candidatePoolSize: 200,
      topK: 50,
      repeatCooldownDays: 90,
    });
    expect(MERCHANT_CATEGORIES).toHaveLength(24);
  });

  it.each([
    [{ windowDays: 0 }, 'windowDays'],
    [{ windowDays: 4001 }, 'windowDays'],
    [{ idfExponent: 3.5 }, 'idfExponent'],
    [{ recencyHalfLifeDays: 366 }, 'recencyHalfLifeDays'],
    [{ maxMerchantShare: 0 }, 'maxMerchantShare'],
    [{ maxMerchantShare: 1.01 }, 'maxMerchantShare'],
    [{ minSharedMerchants: 11 }, 'minSharedMerchants'],
    [{ categoryWeights: { coffee: 6 } }, 'categoryWeights.coffee'],
    [{ categoryWeights: { spaceships: 1 } }, 'categoryWeights'],
    [{ normalization: 'l2' }, 'normalization'],
    [{ blend: { overlap: 0.5, coPresence: 0.1, spendLevel: 0.1 } }, 'blend'],
    [{ blend: { overlap: 1.1, coPresence: -0.1, spendLevel: 0 } }, 'blend.coPresence'],
    [{ coPresenceMinutes: 0 }, 'coPresenceMinutes'],
    [{ candidatePoolSize: 5 }, 'candidatePoolSize'],
    [{ topK: 300 }, 'topK'],
    [{ topK: 20, candidatePoolSize: 10 }, 'topK'],
    [{ repeatCooldownDays: -1 }, 'repeatCooldownDays'],
    [{ surprise: true }, ''],
  ])('rejects %j at %s', (input, path) => {
    const r = WeightSetSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts the bounds and a blend summing to 1 within 1e-9', () => {
    const r = WeightSetSchema.safeParse({
      windowDays: 4000,
      maxMerchantShare: 1,
      idfExponent: 0,
      categoryWeights: { coffee: 0, online: 5 },
      blend: { overlap: 0.7, coPresence: 0.2, spendLevel: 0.1 + 5e-10 },
      candidatePoolSize: 1000,
      topK: 1000,
    });
    expect(r.success).toBe(true);
  });
});

describe('re-ranking', () => {
  it('blends overlap, co-presence and spend level, keeps topK, ties by smaller id', () => {
    const ranked = rerankPool(
      {
        candidates: Int32Array.of(5, 3, 9, 4),
        overlap: Float64Array.of(0.9, 0.5, 0.5, 0.4),
        shared: Uint16Array.of(4, 2, 2, 1),
        coPresenceCount: Int32Array.of(0, 3, 3, 6),
        avgTicketUser: 1000,
        avgTicketCandidate: Float64Array.of(4000, 2000, 2000, 1000),
      },
      { blend: { overlap: 0.8, coPresence: 0.1, spendLevel: 0.1 }, topK: 2, minSharedMerchants: 2 },
    );
    expect(ranked.map((r) => r.candidate)).toEqual([5, 3]);
    expect(ranked[0]!.score).toBeCloseTo(0.8 * 0.9 + 0.1 * 0.25, 12);
    expect(ranked[1]).toMatchObject({ coPresence: 1, spendLevel: 0.5, sharedMerchantCount: 2, score100: 55 });
  });

  it('components follow the formulas', () => {
    expect(coPresenceOf(1)).toBeCloseTo(1 / 3, 15);
    expect(coPresenceOf(7)).toBe(1);
    expect(spendLevelOf(300, 100)).toBeCloseTo(1 / 3, 15);
    expect(spendLevelOf(0, 100)).toBe(0);
  });
});
