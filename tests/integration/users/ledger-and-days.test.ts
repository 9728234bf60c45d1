import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldLedger } from '../../../src/modules/consents/consent-ledger.ts';
import type { ConsentEvent } from '../../../src/modules/consents/consents.repository.ts';
import { addDays, canonicalTimeZone, localDate } from '../../../src/modules/users/local-day.ts';

const at = (day: number) => new Date(Date.UTC(2026, 0, day));
const event = (
  purpose: ConsentEvent['purpose'],
  action: ConsentEvent['action'],
  policyVersion: string,
  day: number,
): ConsentEvent => ({ purpose, action, policyVersion, at: at(day) });

describe('foldLedger', () => {
  it('opens a period per grant, closes it on withdrawal, supersedes it on a new grant', () => {
    const periods = foldLedger([
      event('transactions', 'grant', 'v1', 1),
      event('matching', 'grant', 'v1', 2),
      event('transactions', 'grant', 'v2', 3),
      event('transactions', 'withdraw', 'v2', 4),
      event('matching', 'withdraw', 'v1', 5),
      event('matching', 'withdraw', 'v1', 6), // nothing open: ignored
      event('matching', 'grant', 'v3', 7),
    ]);
    expect(periods).toEqual([
      { purpose: 'matching', policyVersion: 'v3', grantedAt: at(7), withdrawnAt: null, supersededAt: null },
      {
        purpose: 'transactions',
        policyVersion: 'v2',
        grantedAt: at(3),
        withdrawnAt: at(4),
        supersededAt: null,
      },
      { purpose: 'matching', policyVersion: 'v1', grantedAt: at(2), withdrawnAt: at(5), supersededAt: null },
      {
        purpose: 'transactions',
        policyVersion: 'v1',
        grantedAt: at(1),
        withdrawnAt: null,
        supersededAt: at(3),
      },
    ]);
  });

  it('has one period per grant and at most one open period per purpose, matching the latest event', () => {
    const arbitraryEvent = fc.record({
      purpose: fc.constantFrom('transactions' as const, 'matching' as const),
      action: fc.constantFrom('grant' as const, 'withdraw' as const),
      policyVersion: fc.constantFrom('v1', 'v2'),
    });
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 30 }), (raw) => {
        const events = raw.map((e, i) => ({ ...e, at: at(i + 1) }));
        const periods = foldLedger(events);
        expect(periods).toHaveLength(events.filter((e) => e.action === 'grant').length);
        for (const purpose of ['transactions', 'matching'] as const) {
          const open = periods.filter(
            (p) => p.purpose === purpose && p.withdrawnAt === null && p.supersededAt === null,
          );
          const latest = events.filter((e) => e.purpose === purpose).at(-1);
          expect(open.length).toBe(latest?.action === 'grant' ? 1 : 0);
        }
      }),
    );
  });
});

describe('local days', () => {
  it("gives the calendar date on the user's wall clock", () => {
    const instant = new Date('2026-11-22T17:30:00Z');
    expect(localDate(instant, 'Asia/Shanghai')).toBe('2026-11-23');
    expect(localDate(instant, 'America/Los_Angeles')).toBe('2026-11-22');
    expect(localDate(instant, 'UTC')).toBe('2026-11-22');
  });

  it('shifts dates across months, years and leap days', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-11-22', -30)).toBe('2026-10-23');
  });

  it('accepts IANA zones in canonical spelling, refuses offsets and unknown names', () => {
    expect(canonicalTimeZone('asia/shanghai')).toBe('Asia/Shanghai');
    expect(canonicalTimeZone('Europe/Berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    for (const bad of ['+08:00', 'Mars/Olympus', '', 'Asia/Shanghai; DROP TABLE', '../etc/passwd']) {
      expect(canonicalTimeZone(bad)).toBeUndefined();
    }
  });
});
