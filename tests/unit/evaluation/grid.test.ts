import { describe, expect, it } from 'vitest';
import { WeightSetSchema } from '../../../src/core/scoring/index.ts';
import { DEFAULT_GRID, expandGrid, GridError, GridSchema, splitUsers } from '../../../src/evaluation/tune.ts';

describe('tuning grid', () => {
  it('the default grid is a few hundred valid weight sets over 54 feature matrices', () => {
    const groups = expandGrid(DEFAULT_GRID);
    expect(groups).toHaveLength(54);
    const sets = groups.flatMap((g) => g.sets);
    expect(sets).toHaveLength(540);
    for (const set of sets) expect(WeightSetSchema.safeParse(set).success).toBe(true);
    // Within a group only the blend and the co-presence window vary.
    for (const g of groups) {
      for (const s of g.sets) {
        expect({ ...s, blend: null, coPresenceMinutes: null }).toEqual({
          ...g.matrix,
          blend: null,
          coPresenceMinutes: null,
        });
      }
    }
  });

  it('applies the base and names a refused combination', () => {
    const groups = expandGrid(GridSchema.parse({ base: { topK: 20 }, idfExponent: [0, 2] }));
    expect(groups.map((g) => g.matrix.idfExponent)).toEqual([0, 2]);
    expect(groups[0]?.matrix.topK).toBe(20);
    expect(() => expandGrid(GridSchema.parse({ idfExponent: [5] }))).toThrow(GridError);
    expect(() => expandGrid(GridSchema.parse({ base: { windowDays: 0 } }))).toThrow(/windowDays/);
    expect(GridSchema.safeParse({ surprise: [1] }).success).toBe(false);
  });

  it('splits users by seed, about the held-out share', () => {
    const a = splitUsers(10_000, 3, 0.3);
    expect(splitUsers(10_000, 3, 0.3)).toEqual(a);
    const held = a.reduce((n, g) => n + g, 0);
    expect(held).toBeGreaterThan(2700);
    expect(held).toBeLessThan(3300);
  });
});
