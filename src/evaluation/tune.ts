import { z } from 'zod';
import { seededRandom } from '../core/evaluation/index.ts';
import { WeightSetSchema, type WeightSet } from '../core/scoring/index.ts';
import type { Dataset } from './dataset.ts';
import { measure, prepareMatrix, type Metrics } from './engine.ts';

const Blend = z.strictObject({
  overlap: z.number().min(0).max(1),
  coPresence: z.number().min(0).max(1),
  spendLevel: z.number().min(0).max(1),
});

const axis = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(50);

/**
 * The search space of `npm run tune`: each axis lists the values to try (the cross product is
 * searched); `base` holds the fields that stay fixed (a partial weight set). Every combination is
 * validated by the scoring core's schema before anything runs.
 */
export const GridSchema = z.strictObject({
  base: z.record(z.string(), z.unknown()).default({}),
  visitTransform: axis(z.enum(['log1p', 'binary', 'linear'])).optional(),
  idfExponent: axis(z.number()).optional(),
  normalization: axis(z.enum(['sqrt', 'cosine', 'none'])).optional(),
  maxMerchantShare: axis(z.number()).optional(),
  coPresenceMinutes: axis(z.int()).optional(),
  blend: axis(Blend).optional(),
});
export type Grid = z.infer<typeof GridSchema>;

/**
 * The default search: 3 visit transforms × 3 idf exponents × 3 normalizations × 2 stop shares
 * (54 feature matrices), each with overlap alone or 3 blends × 3 co-presence windows: 540 sets.
 */
export const DEFAULT_GRID: Grid = {
  base: {},
  visitTransform: ['log1p', 'binary', 'linear'],
  idfExponent: [0.5, 1, 1.5],
  normalization: ['sqrt', 'cosine', 'none'],
  maxMerchantShare: [0.05, 0.2],
  coPresenceMinutes: [60, 120, 240],
  blend: [
    { overlap: 1, coPresence: 0, spendLevel: 0 },
    { overlap: 0.8, coPresence: 0.1, spendLevel: 0.1 },
    { overlap: 0.7, coPresence: 0.2, spendLevel: 0.1 },
    { overlap: 0.6, coPresence: 0.3, spendLevel: 0.1 },
  ],
};

/** Weight sets sharing one feature matrix: they differ only in blend and co-presence window. */
export type MatrixGroup = { matrix: WeightSet; sets: WeightSet[] };

export class GridError extends Error {}

const orBase = <T>(values: T[] | undefined, base: T): T[] => values ?? [base];

/**
 * Expands a grid into weight sets grouped by feature matrix. A blend without co-presence is tried
 * with one window only (the window cannot change its scores). Throws {@link GridError} naming the
 * first combination the scoring schema refuses.
 */
export function expandGrid(grid: Grid): MatrixGroup[] {
  const baseResult = WeightSetSchema.safeParse(grid.base);
  if (!baseResult.success) {
    const issue = baseResult.error.issues[0];
    throw new GridError(`grid.base.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const base = baseResult.data;
  const groups: MatrixGroup[] = [];
  for (const visitTransform of orBase(grid.visitTransform, base.visitTransform))
    for (const idfExponent of orBase(grid.idfExponent, base.idfExponent))
      for (const normalization of orBase(grid.normalization, base.normalization))
        for (const maxMerchantShare of orBase(grid.maxMerchantShare, base.maxMerchantShare)) {
          const matrixFields = { visitTransform, idfExponent, normalization, maxMerchantShare };
          const sets: WeightSet[] = [];
          for (const blend of orBase(grid.blend, base.blend)) {
            const windows =
              blend.coPresence > 0
                ? orBase(grid.coPresenceMinutes, base.coPresenceMinutes)
                : [base.coPresenceMinutes];
            for (const coPresenceMinutes of windows) {
              const candidate = { ...grid.base, ...matrixFields, blend, coPresenceMinutes };
              const parsed = WeightSetSchema.safeParse(candidate);
              if (!parsed.success) {
                const issue = parsed.error.issues[0];
                throw new GridError(
                  `grid combination ${JSON.stringify({ ...matrixFields, blend, coPresenceMinutes })}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
                );
              }
              sets.push(parsed.data);
            }
          }
          const first = sets[0];
          if (first !== undefined) groups.push({ matrix: first, sets });
        }
  return groups;
}

/**
 * Splits the data set's users into a tuning part (0) and a held-out part (1), each user
 * independently with probability `holdoutShare` of being held out, seeded.
 */
export function splitUsers(userCount: number, seed: number, holdoutShare: number): Uint8Array {
  const random = seededRandom(seed ^ 0x5eed5eed);
  const groupOf = new Uint8Array(userCount);
  for (let u = 0; u < userCount; u++) groupOf[u] = random() < holdoutShare ? 1 : 0;
  return groupOf;
}

export const OBJECTIVES = ['auc', 'precisionAt10', 'recallAt50'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export type TuneResult = { weights: WeightSet; tune: Metrics; holdout: Metrics };

/** Larger is better; NaN (no data on that side) sorts last. */
const objectiveOf = (m: Metrics, objective: Objective): number => {
  const v = m[objective];
  return Number.isNaN(v) ? -Infinity : v;
};

/**
 * Evaluates every weight set of the grid: each feature matrix is built once and every blend and
 * co-presence window is scored on it. Results are sorted by the objective on the tuning part
 * (ties by AUC, then by the order of the grid), the held-out metrics alongside.
 */
export async function tune(
  ds: Dataset,
  groups: MatrixGroup[],
  options: {
    groupOf: Uint8Array;
    objective: Objective;
    threads?: number | undefined;
    onConfig?: (done: number, total: number) => void;
  },
): Promise<TuneResult[]> {
  const total = groups.reduce((n, g) => n + g.sets.length, 0);
  const results: TuneResult[] = [];
  let done = 0;
  for (const group of groups) {
    const prepared = await prepareMatrix(ds, group.matrix, { threads: options.threads });
    for (const weights of group.sets) {
      const [tunePart, holdout] = measure(ds, prepared, weights, options.groupOf, 2);
      if (tunePart === undefined || holdout === undefined) throw new Error('two groups of metrics');
      results.push({ weights, tune: tunePart, holdout });
      done++;
      options.onConfig?.(done, total);
    }
  }
  const order = results.map((r, i) => ({ r, i }));
  order.sort(
    (a, b) =>
      objectiveOf(b.r.tune, options.objective) - objectiveOf(a.r.tune, options.objective) ||
      objectiveOf(b.r.tune, 'auc') - objectiveOf(a.r.tune, 'auc') ||
      a.i - b.i,
  );
  return order.map((o) => o.r);
}
