import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../../src/synth/catalog.ts';
import { generate, parseEndDate, type GenerateResult } from '../../../src/synth/generate.ts';

const USERS = 1500;
const DAYS = 30;
const END = '2026-11-21';
const root = mkdtempSync(join(tmpdir(), 'synth-'));
const dir = (name: string): string => join(root, name);
const read = (name: string, file: string): string => readFileSync(join(dir(name), file), 'utf8');
const rows = (text: string): string[][] =>
  text
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/[\t,]/));

let first: GenerateResult;
let big: GenerateResult;

beforeAll(() => {
  const base = { users: USERS, days: DAYS, endDate: END, transactions: true };
  first = generate({ ...base, seed: 7, outDir: dir('a') });
  generate({ ...base, seed: 7, outDir: dir('b') });
  generate({ ...base, seed: 8, outDir: dir('c') });
  generate({ ...base, seed: 7, outDir: dir('d'), transactions: false });
  big = generate({ ...base, users: 20_000, seed: 3, outDir: dir('big'), transactions: false });
  // A few seconds alone; generous for a machine shared with other test runs.
}, 180_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('determinism', () => {
  it('gives byte-identical files for the same seed', () => {
    const files = readdirSync(dir('a')).sort();
    expect(files).toEqual([
      'agg.tsv',
      'merchants.csv',
      'meta.json',
      'profiles.jsonl',
      'ties.tsv',
      'transactions.csv',
    ]);
    for (const f of files)
      expect(readFileSync(join(dir('b'), f)).equals(readFileSync(join(dir('a'), f)))).toBe(true);
  });

  it('gives different files for another seed', () => {
    for (const f of ['agg.tsv', 'transactions.csv', 'profiles.jsonl', 'merchants.csv', 'ties.tsv']) {
      expect(read('c', f)).not.toEqual(read('a', f));
    }
  });

  it('writes the same agg.tsv, profiles and ties without transactions', () => {
    for (const f of ['agg.tsv', 'merchants.csv', 'profiles.jsonl', 'ties.tsv'])
      expect(read('d', f)).toEqual(read('a', f));
    expect(readdirSync(dir('d'))).not.toContain('transactions.csv');
  });

  it('rejects an impossible end date', () => {
    expect(() => parseEndDate('2026-02-30')).toThrow(RangeError);
  });
});

describe('population shape', () => {
  it('has mega-chains each visited by 10–35% of users', () => {
    expect(big.meta.megaChains).toHaveLength(8);
    for (const m of big.meta.megaChains) {
      expect(m.share).toBeGreaterThanOrEqual(0.1);
      expect(m.share).toBeLessThanOrEqual(0.35);
    }
    // A small population is noisier (binomial, 1,500 draws), but not far off.
    for (const m of first.meta.megaChains) {
      expect(m.share).toBeGreaterThanOrEqual(0.09);
      expect(m.share).toBeLessThanOrEqual(0.36);
    }
  });

  it('has about 40 distinct merchants per user and reports P = Σ df²', () => {
    expect(big.meta.meanMerchantsPerUser).toBeGreaterThan(35);
    expect(big.meta.meanMerchantsPerUser).toBeLessThan(45);
    const df = new Map<string, number>();
    for (const [, m] of rows(read('a', 'agg.tsv'))) df.set(m as string, (df.get(m as string) ?? 0) + 1);
    let p = 0;
    for (const d of df.values()) p += d * d;
    expect(first.meta.P).toBe(p);
  });

  it('skews visit counts: most 1–3, some regulars', () => {
    const visits = rows(read('a', 'agg.tsv')).map((r) => Number(r[2]));
    const low = visits.filter((v) => v <= 3).length / visits.length;
    expect(low).toBeGreaterThan(0.8);
    expect(Math.max(...visits)).toBeGreaterThanOrEqual(10);
  });
});

describe('files agree', () => {
  it('derives agg.tsv (visits, last visit day) from transactions.csv', () => {
    const firstDay = parseEndDate(END) - (DAYS - 1) * 86_400_000;
    const fromTx = new Map<string, { visits: number; last: number }>();
    let outside = 0;
    for (const [, u, m, , , at] of rows(read('a', 'transactions.csv'))) {
      // Day indexes are calendar dates in Asia/Shanghai (UTC+8).
      const day = Math.floor((Date.parse(at as string) + 8 * 3_600_000 - firstDay) / 86_400_000);
      if (day < 0 || day >= DAYS) outside++;
      const k = `${u as string}:${m as string}`;
      const e = fromTx.get(k) ?? { visits: 0, last: -1 };
      e.visits++;
      e.last = Math.max(e.last, day);
      fromTx.set(k, e);
    }
    expect(outside).toBe(0);
    const agg = rows(read('a', 'agg.tsv'));
    expect(agg.length).toBe(fromTx.size);
    const mismatches = agg.filter(([u, m, visits, last]) => {
      const e = fromTx.get(`${u as string}:${m as string}`);
      return e?.visits !== Number(visits) || e.last !== Number(last);
    });
    expect(mismatches).toEqual([]);
    expect(first.meta.counts.transactions).toBe(rows(read('a', 'transactions.csv')).length);
  });

  it('writes positive integer amounts and unique transaction ids', () => {
    const tx = rows(read('a', 'transactions.csv'));
    const ids = new Set(tx.map((r) => r[0]));
    expect(ids.size).toBe(tx.length);
    const bad = tx.filter(
      ([, , , amount, currency, at]) =>
        !/^[1-9]\d*$/.test(amount as string) ||
        currency !== 'CNY' ||
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(at as string) ||
        Number.isNaN(Date.parse(at as string)),
    );
    expect(bad).toEqual([]);
  });

  it('has unique merchants with valid categories, locations for city and local ones', () => {
    const merchants = rows(read('a', 'merchants.csv'));
    expect(new Set(merchants.map((r) => r[0])).size).toBe(merchants.length);
    expect(new Set(merchants.map((r) => r[1])).size).toBe(merchants.length);
    const categories = new Set<string>(CATEGORIES);
    const bad = merchants.filter(
      ([, , category, city, lat, lng]) =>
        !categories.has(category as string) ||
        (lat === '') !== (city === '') ||
        (lng === '') !== (city === ''),
    );
    expect(bad).toEqual([]);
    const known = new Set(merchants.map((r) => r[0]));
    expect(rows(read('a', 'agg.tsv')).filter(([, m]) => !known.has(m))).toEqual([]);
  });

  it('has one valid profile per user with unique contact handles', () => {
    const profiles = read('a', 'profiles.jsonl')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(profiles.map((p) => p.userId)).toEqual(Array.from({ length: USERS }, (_, i) => i + 1));
    expect(new Set(profiles.map((p) => p.contactHandle)).size).toBe(USERS);
    const genders = ['woman', 'man', 'nonbinary'];
    for (const p of profiles) {
      expect(genders).toContain(p.gender);
      const seeking = p.seeking as string[];
      expect(seeking.length).toBeGreaterThan(0);
      expect(new Set(seeking).size).toBe(seeking.length);
      for (const s of seeking) expect(genders).toContain(s);
      const age = 2026 - (p.birthYear as number);
      expect(age).toBeGreaterThanOrEqual(18);
      expect(age).toBeLessThanOrEqual(66);
      expect(p.ageMin as number).toBeLessThanOrEqual(p.ageMax as number);
      expect(p.timezone).toBe('Asia/Shanghai');
    }
  });

  it('writes planted ties that share merchants, some paying within the hour', () => {
    const ties = rows(read('a', 'ties.tsv')).map((r) => r.map(Number) as [number, number, number]);
    const positive = ties.filter((t) => t[2] === 1);
    expect(positive.length).toBeGreaterThan(0);
    expect(ties.length - positive.length).toBeGreaterThanOrEqual(positive.length);
    const keys = new Set(ties.map(([u, v]) => `${u}:${v}`));
    expect(keys.size).toBe(ties.length);
    const merchantsOf = new Map<number, Set<string>>();
    for (const [u, m] of rows(read('a', 'agg.tsv'))) {
      const set = merchantsOf.get(Number(u)) ?? new Set<string>();
      set.add(m as string);
      merchantsOf.set(Number(u), set);
    }
    const shared = (u: number, v: number): number =>
      [...(merchantsOf.get(u) ?? [])].filter((m) => merchantsOf.get(v)?.has(m)).length;
    const mean = (pairs: [number, number, number][]): number =>
      pairs.reduce((s, [u, v]) => s + shared(u, v), 0) / pairs.length;
    expect(mean(positive)).toBeGreaterThan(mean(ties.filter((t) => t[2] === 0)) + 2);

    const times = new Map<string, number[]>();
    for (const [, u, m, , , at] of rows(read('a', 'transactions.csv'))) {
      const k = `${u as string}:${m as string}`;
      times.set(k, [...(times.get(k) ?? []), Date.parse(at as string)]);
    }
    const together = positive.filter(([u, v]) =>
      [...(merchantsOf.get(u) ?? [])].some((m) =>
        (times.get(`${u}:${m}`) ?? []).some((a) =>
          (times.get(`${v}:${m}`) ?? []).some((b) => Math.abs(a - b) <= 3_600_000),
        ),
      ),
    );
    expect(together.length / positive.length).toBeGreaterThan(0.3);
  });
});
