import type { Job } from 'bullmq';
import type { Config } from '../../config.ts';
import { NIGHTLY_SCHEDULER_ID, QUEUE } from '../../queue/names.ts';
import type { PipelineQueues } from '../../queue/producers.ts';
import { businessDate, utcCronPattern } from '../../queue/schedule.ts';

/** NIGHTLY_CRON's value that turns the schedule off (runs then start from the API or the CLI). */
export const SCHEDULE_OFF = 'off';

/**
 * Upserts the nightly job scheduler: the pattern is UTC, derived from NIGHTLY_CRON read in
 * MATCH_TIMEZONE (03:00 Asia/Shanghai → `0 19 * * *`). Safe to call from every worker start.
 * NIGHTLY_CRON=off removes the scheduler instead (benchmarks, a standby deployment) and returns
 * `off`.
 */
export async function ensureNightlySchedule(
  queues: Pick<PipelineQueues, 'queues'>,
  config: Pick<Config, 'NIGHTLY_CRON' | 'MATCH_TIMEZONE'>,
  now: Date,
): Promise<string> {
  if (config.NIGHTLY_CRON === SCHEDULE_OFF) {
    await queues.queues.nightly.removeJobScheduler(NIGHTLY_SCHEDULER_ID);
    return SCHEDULE_OFF;
  }
  const pattern = utcCronPattern(config.NIGHTLY_CRON, config.MATCH_TIMEZONE, now);
  await queues.queues.nightly.upsertJobScheduler(
    NIGHTLY_SCHEDULER_ID,
    { pattern, tz: 'UTC' },
    { name: QUEUE.nightly, data: {}, opts: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 } } },
  );
  return pattern;
}

/** The instant a scheduled job was due (not when a worker got to it). */
export function fireTimeOf(job: Pick<Job, 'opts' | 'timestamp'>): Date {
  const prev = job.opts.prevMillis;
  return new Date(typeof prev === 'number' && prev > 0 ? prev : job.timestamp + (job.opts.delay ?? 0));
}

/** The business date a scheduled trigger stands for: its fire time's date in MATCH_TIMEZONE. */
export const scheduledBusinessDate = (job: Pick<Job, 'opts' | 'timestamp'>, timeZone: string): string =>
  businessDate(fireTimeOf(job), timeZone);
