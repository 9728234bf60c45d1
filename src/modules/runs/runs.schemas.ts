import { z } from 'zod';
import type { RunRecord } from './runs.repository.ts';

/** Aggregates of one stage: seconds and counts only, never a user. */
const StageView = z.record(z.string(), z.number()).meta({ description: 'seconds and counts of one stage' });

export const RunView = z
  .object({
    id: z.string(),
    date: z.iso.date(),
    status: z.enum(['pending', 'preparing', 'scoring', 'pairing', 'publishing', 'published', 'failed']),
    weightSetId: z.string(),
    triggeredBy: z.string(),
    attempt: z.int(),
    stages: z.object({
      prepare: StageView.optional(),
      score: StageView.optional(),
      pair: StageView.optional(),
      publish: StageView.optional(),
    }),
    eligibleUsers: z.int().nullable(),
    pairedUsers: z.int().nullable(),
    coverage: z.number().nullable(),
    meanScore: z.number().nullable(),
    error: z.string().nullable(),
    createdAt: z.date(),
    startedAt: z.date().nullable(),
    finishedAt: z.date().nullable(),
    publishedAt: z.date().nullable(),
  })
  .meta({ id: 'ScoringRun', description: 'A nightly run: status, per-stage timings and counts, coverage.' });
export type RunView = z.infer<typeof RunView>;

export const RunList = z.object({ runs: z.array(RunView) }).meta({ id: 'ScoringRunList' });
export const RunParams = z.object({ id: z.string().regex(/^[1-9][0-9]{0,18}$/, 'a run id') });
export const RunListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(365).default(30),
  before: z.iso.date().optional(),
});
export const StartRunBody = z
  .strictObject({ date: z.iso.date().optional() })
  .meta({ description: 'The business date; today in MATCH_TIMEZONE when absent.' });

const numbersOf = (value: unknown): Record<string, number> | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
};

/** The score stage as aggregates over its shards: the slowest shard's seconds, sums of counts. */
function scoreView(value: unknown): Record<string, number> | undefined {
  const shards = (value as { shards?: Record<string, unknown> } | undefined)?.shards;
  if (shards === undefined) return undefined;
  const parts = Object.values(shards).map((s) => numbersOf(s) ?? {});
  const sum = (k: string) => parts.reduce((n, p) => n + (p[k] ?? 0), 0);
  return {
    shardsDone: parts.length,
    seconds: Math.max(0, ...parts.map((p) => p['seconds'] ?? 0)),
    shardSecondsTotal: Math.round(sum('seconds') * 100) / 100,
    users: sum('users'),
    candidates: sum('candidates'),
  };
}

export function toRunView(run: RunRecord): RunView {
  const attempt = run.stages['attempt'];
  const prepare = numbersOf(run.stages['prepare']);
  const score = scoreView(run.stages['score']);
  const pair = numbersOf(run.stages['pair']);
  const publish = numbersOf(run.stages['publish']);
  return {
    id: run.id,
    date: run.date,
    status: run.status,
    weightSetId: run.weightSetId,
    triggeredBy: run.triggeredBy,
    attempt: typeof attempt === 'number' ? attempt : 1,
    stages: {
      ...(prepare !== undefined && { prepare }),
      ...(score !== undefined && { score }),
      ...(pair !== undefined && { pair }),
      ...(publish !== undefined && { publish }),
    },
    eligibleUsers: run.eligibleUsers,
    pairedUsers: run.pairedUsers,
    coverage: run.coverage,
    meanScore: run.meanScore,
    error: run.error,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    publishedAt: run.publishedAt,
  };
}
