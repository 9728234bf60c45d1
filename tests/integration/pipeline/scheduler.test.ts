import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.ts';
import { ensureNightlySchedule, SCHEDULE_OFF } from '../../../src/modules/pipeline/scheduler.ts';
import { NIGHTLY_SCHEDULER_ID } from '../../../src/queue/names.ts';
import { createPipelineQueues } from '../../../src/queue/producers.ts';

const config = parseConfig({ NODE_ENV: 'test', QUEUE_PREFIX: `{kt-${randomUUID().slice(0, 8)}}` });
const queues = createPipelineQueues(config, pino({ level: 'silent' }), 'producer');
afterAll(async () => {
  await queues.queues.nightly.obliterate({ force: true });
  await queues.close();
});

const scheduler = () => queues.queues.nightly.getJobScheduler(NIGHTLY_SCHEDULER_ID);
const now = new Date('2026-12-07T12:00:00Z');

describe('the nightly job scheduler', () => {
  it('is upserted once, in UTC, from NIGHTLY_CRON read in MATCH_TIMEZONE', async () => {
    const settings = { NIGHTLY_CRON: '0 3 * * *', MATCH_TIMEZONE: 'Asia/Shanghai' };
    expect(await ensureNightlySchedule(queues, settings, now)).toBe('0 19 * * *');
    expect(await ensureNightlySchedule(queues, settings, now)).toBe('0 19 * * *');
    const found = await scheduler();
    expect(found).toMatchObject({ key: NIGHTLY_SCHEDULER_ID, pattern: '0 19 * * *', tz: 'UTC' });
    expect(await queues.queues.nightly.getJobSchedulersCount()).toBe(1);
  });

  it('is removed with NIGHTLY_CRON=off, and a worker start then schedules nothing', async () => {
    await ensureNightlySchedule(queues, { NIGHTLY_CRON: '30 2 * * *', MATCH_TIMEZONE: 'UTC' }, now);
    expect((await scheduler())?.pattern).toBe('30 2 * * *');
    const off = { NIGHTLY_CRON: SCHEDULE_OFF, MATCH_TIMEZONE: 'UTC' };
    expect(await ensureNightlySchedule(queues, off, now)).toBe(SCHEDULE_OFF);
    expect(await scheduler()).toBeUndefined();
    expect(await ensureNightlySchedule(queues, off, now)).toBe(SCHEDULE_OFF);
    expect(await queues.queues.nightly.getJobSchedulersCount()).toBe(0);
  });
});
