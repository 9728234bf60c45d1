import { describe, expect, it } from 'vitest';
import {
  addDays,
  businessDate,
  runWindow,
  startOfDay,
  utcCronPattern,
  zoneOffsetMinutes,
} from '../../../src/queue/schedule.ts';
import { jobId } from '../../../src/queue/names.ts';

describe('businessDate', () => {
  it.each([
    ['2026-11-21T19:00:00Z', 'Asia/Shanghai', '2026-11-22'],
    ['2026-11-21T15:59:59Z', 'Asia/Shanghai', '2026-11-21'],
    ['2026-11-21T16:00:00Z', 'Asia/Shanghai', '2026-11-22'],
    ['2026-11-22T03:00:00Z', 'America/New_York', '2026-11-21'],
    ['2026-03-08T07:30:00Z', 'America/New_York', '2026-03-08'],
    ['2026-12-31T23:59:59Z', 'UTC', '2026-12-31'],
  ])('%s in %s is %s', (at, tz, expected) => {
    expect(businessDate(new Date(at), tz)).toBe(expected);
  });
});

describe('zone offsets and windows', () => {
  it('knows fixed and daylight-saving offsets', () => {
    expect(zoneOffsetMinutes(new Date('2026-06-01T00:00:00Z'), 'Asia/Shanghai')).toBe(480);
    expect(zoneOffsetMinutes(new Date('2026-01-15T12:00:00Z'), 'America/New_York')).toBe(-300);
    expect(zoneOffsetMinutes(new Date('2026-07-15T12:00:00Z'), 'America/New_York')).toBe(-240);
  });

  it('starts a day at local midnight', () => {
    expect(startOfDay('2026-11-22', 'Asia/Shanghai').toISOString()).toBe('2026-11-21T16:00:00.000Z');
    expect(startOfDay('2026-03-09', 'America/New_York').toISOString()).toBe('2026-03-09T04:00:00.000Z');
    expect(startOfDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
  });

  it('answers the same midnight from its memo, as a fresh Date, for thousands of zones and days', () => {
    const first = startOfDay('2026-11-22', 'Asia/Shanghai');
    first.setTime(0);
    expect(startOfDay('2026-11-22', 'Asia/Shanghai').toISOString()).toBe('2026-11-21T16:00:00.000Z');
    // more keys than the memo keeps: it is cleared and refilled, answers unchanged
    for (let d = 0; d < 5000; d++) {
      const date = addDays('2020-01-01', d);
      // the first instant of that local date: it is that date there, a millisecond earlier is not
      const at = startOfDay(date, 'Europe/London');
      expect(businessDate(at, 'Europe/London')).toBe(date);
      expect(businessDate(new Date(at.getTime() - 1), 'Europe/London')).toBe(addDays(date, -1));
    }
    expect(startOfDay('2026-03-08', 'America/New_York').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(() => startOfDay('2026-13-45x', 'Asia/Shanghai')).toThrow(RangeError);
  });

  it('covers the windowDays calendar days before the date', () => {
    const w = runWindow('2026-11-22', 30, 'Asia/Shanghai');
    expect(w.start.toISOString()).toBe('2026-10-22T16:00:00.000Z');
    expect(w.end.toISOString()).toBe('2026-11-21T16:00:00.000Z');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
});

describe('utcCronPattern', () => {
  const at = new Date('2026-11-22T00:00:00Z');
  it('turns 03:00 in Shanghai into 19:00 UTC', () => {
    expect(utcCronPattern('0 3 * * *', 'Asia/Shanghai', at)).toBe('0 19 * * *');
  });
  it('keeps the day of week with the shifted day', () => {
    expect(utcCronPattern('30 3 * * 1,5', 'Asia/Shanghai', at)).toBe('30 19 * * 0,4');
    expect(utcCronPattern('0 22 * * 0', 'America/New_York', at)).toBe('0 3 * * 1');
    expect(utcCronPattern('15 4 * * *', 'UTC', at)).toBe('15 4 * * *');
  });
  it('refuses patterns it cannot convert exactly', () => {
    expect(() => utcCronPattern('*/5 3 * * *', 'Asia/Shanghai', at)).toThrow(RangeError);
    expect(() => utcCronPattern('0 3 1 * *', 'Asia/Shanghai', at)).toThrow(RangeError);
    expect(() => utcCronPattern('0 3 * *', 'Asia/Shanghai', at)).toThrow(RangeError);
  });
  it('fires on the business date that follows from the fire time, not from the cron', () => {
    const pattern = utcCronPattern('0 3 * * *', 'Asia/Shanghai', at);
    expect(pattern).toBe('0 19 * * *');
    // 19:00 UTC on the 21st is 03:00 on the 22nd in Shanghai.
    expect(businessDate(new Date('2026-11-21T19:00:00Z'), 'Asia/Shanghai')).toBe('2026-11-22');
  });
});

describe('job ids', () => {
  it('are deterministic and free of ":"', () => {
    expect(jobId.prepare('2026-11-22', 1)).toBe('prepare.2026-11-22');
    expect(jobId.score('2026-11-22', 3, 1)).toBe('score.2026-11-22.3');
    expect(jobId.publish('2026-11-22', 2)).toBe('publish.2026-11-22.r2');
    expect(jobId.pair('2026-11-22', 1)).not.toContain(':');
  });
});
