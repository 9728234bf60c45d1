import { badRequest } from '../../errors.ts';
import type { MetricsRepository } from './metrics.repository.ts';
import { MAX_DAYS, type DailyMetric, type DailyMetrics, type DailyMetricsQuery } from './metrics.schemas.ts';

type Deps = { metrics: Pick<MetricsRepository, 'runs' | 'buckets'>; kAnon: number };

const DAY_MS = 86_400_000;
const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Daily outcome metrics for analysts: aggregates only (design section 6, rule 5). Counts of
 * eligible and matched users are shown as they are; rates over fewer than `K_ANON` users are
 * withheld, and the score buckets are merged so that each holds at least `K_ANON` users.
 */
export function createMetricsService({ metrics, kAnon }: Deps) {
  return {
    async daily(query: DailyMetricsQuery, now: Date): Promise<DailyMetrics> {
      const to = query.to ?? isoDate(now.getTime());
      const from = query.from ?? isoDate(Date.parse(to) - 30 * DAY_MS);
      const span = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1;
      if (span < 1)
        throw badRequest('from must not be after to', [{ path: 'querystring.from', message: 'after to' }]);
      if (span > MAX_DAYS) {
        throw badRequest(`at most ${String(MAX_DAYS)} days`, [
          { path: 'querystring.from', message: 'range too long' },
        ]);
      }
      const [runs, { days, buckets }] = await Promise.all([
        metrics.runs(from, to),
        metrics.buckets(from, to, kAnon),
      ]);
      const dates = [...new Set([...runs.map((r) => r.date), ...days.map((d) => d.date)])].sort();
      const out: DailyMetric[] = dates.map((date) => {
        const run = runs.find((r) => r.date === date);
        const day = days.find((d) => d.date === date) ?? { users: 0, likes: 0, mutual: 0 };
        const eligible = run?.eligibleUsers ?? null;
        const enough = day.users >= kAnon;
        return {
          date,
          runStatus: run?.status ?? null,
          eligibleUsers: eligible,
          matchedUsers: day.users,
          matchedShare: eligible !== null && eligible > 0 ? Math.min(1, day.users / eligible) : null,
          likeRate: enough ? day.likes / day.users : null,
          mutualRate: enough ? day.mutual / day.users : null,
          byScoreDecile: buckets
            .filter((b) => b.date === date && b.users >= kAnon)
            .sort((a, b) => a.bucket - b.bucket)
            .map((b) => ({
              fromPercentile: Math.round((100 * b.bucket) / b.buckets),
              toPercentile: Math.round((100 * (b.bucket + 1)) / b.buckets),
              users: b.users,
              minScore: b.minScore,
              maxScore: b.maxScore,
              likeRate: b.likes / b.users,
              mutualRate: b.mutual / b.users,
            })),
        };
      });
      return { from, to, kAnon, days: out };
    },
  };
}

export type MetricsService = ReturnType<typeof createMetricsService>;
