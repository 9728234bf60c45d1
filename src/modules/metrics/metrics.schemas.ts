import { z } from 'zod';

const CalendarDate = z.iso.date();

export const MAX_DAYS = 366;

export const DailyMetricsQuery = z
  .strictObject({
    from: CalendarDate.optional().meta({ description: 'first business date (default: 30 days before `to`)' }),
    to: CalendarDate.optional().meta({ description: 'last business date (default: today, UTC)' }),
  })
  .meta({ description: `at most ${String(MAX_DAYS)} days` });
export type DailyMetricsQuery = z.infer<typeof DailyMetricsQuery>;

const Rate = z.number().min(0).max(1).nullable();

export const ScoreBucket = z.object({
  fromPercentile: z
    .int()
    .min(0)
    .max(100)
    .meta({ description: 'the bucket covers these score quantiles of the day' }),
  toPercentile: z.int().min(0).max(100),
  users: z.int().min(0),
  minScore: z.int().min(0).max(100),
  maxScore: z.int().min(0).max(100),
  likeRate: z.number().min(0).max(1),
  mutualRate: z.number().min(0).max(1),
});

export const DailyMetric = z.object({
  date: CalendarDate,
  runStatus: z.string().nullable(),
  eligibleUsers: z.int().min(0).nullable(),
  matchedUsers: z.int().min(0),
  matchedShare: Rate,
  likeRate: Rate.meta({ description: 'null when fewer than K_ANON users were shown a match' }),
  mutualRate: Rate,
  byScoreDecile: z.array(ScoreBucket).meta({
    description:
      'score deciles of the users shown a match; with fewer than 10·K_ANON users, fewer and wider quantile buckets, each of at least K_ANON users; none under K_ANON',
  }),
});
export type DailyMetric = z.infer<typeof DailyMetric>;

export const DailyMetrics = z.object({
  from: CalendarDate,
  to: CalendarDate,
  kAnon: z.int().min(1),
  days: z.array(DailyMetric),
});
export type DailyMetrics = z.infer<typeof DailyMetrics>;
