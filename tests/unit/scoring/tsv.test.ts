import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyStats, type CandidatePools } from '../../../src/core/scoring/candidates.ts';
import {
  densify,
  formatG12,
  readAggregateTsv,
  TOP_BLOCK_USERS,
  TsvFormatError,
  writeTopTsv,
} from '../../../src/scoring/tsv.ts';
import { writeTopTsvParallel } from '../../../src/scoring/write-top.ts';

describe('formatG12 matches printf("%.12g")', () => {
  it.each([
    [1, '1'],
    [0.5, '0.5'],
    [0.123456789012345, '0.123456789012'],
    [0.0001234567890126, '0.000123456789013'],
    [0.00001234567890126, '1.23456789013e-05'],
    [123456789012.5, '123456789012'],
    [123456789013.5, '123456789014'],
    [-0.25, '-0.25'],
    [1234567890123, '1.23456789012e+12'],
    [0.30000000000000004, '0.3'],
    [0, '0'],
  ])('%d → %s', (x, s) => {
    expect(formatG12(x)).toBe(s);
  });
});

/**
 * An independent `%.12g`: the double's exact value as a BigInt fraction, rounded half to even at
 * 12 significant digits (what C's printf does), laid out as %g.
 */
function exactG12(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = biased === 0 ? frac : frac | (1n << 52n);
  const pow2 = biased === 0 ? -1074 : biased - 1075;
  let e = Math.floor(Math.log10(Math.abs(x)));
  for (;;) {
    // |x| / 10^(e − 11) = num / den: its integer part has 12 digits when e is right
    let num = pow2 >= 0 ? mant << BigInt(pow2) : mant;
    let den = pow2 >= 0 ? 1n : 1n << BigInt(-pow2);
    if (e - 11 >= 0) den *= 10n ** BigInt(e - 11);
    else num *= 10n ** BigInt(11 - e);
    let q = num / den;
    if (q >= 10n ** 12n) {
      e++;
      continue;
    }
    if (q < 10n ** 11n) {
      e--;
      continue;
    }
    const r2 = 2n * (num % den);
    if (r2 > den || (r2 === den && q % 2n === 1n)) q++;
    if (q === 10n ** 12n) {
      q = 10n ** 11n;
      e++;
    }
    const digits = q.toString();
    const sign = x < 0 ? '-' : '';
    const strip = (t: string) => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
    if (e < -4 || e >= 12) {
      const ae = Math.abs(e);
      return `${sign}${strip(`${digits[0]!}.${digits.slice(1)}`)}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${String(ae)}`;
    }
    const fixed =
      e >= 0 ? `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}` : `0.${'0'.repeat(-e - 1)}${digits}`;
    return sign + strip(fixed);
  }
}

describe('formatG12 equals an exact %.12g on any double', () => {
  it('random doubles, exact ties (dyadic values), carries (runs of nines), all exponents', () => {
    const tie = fc
      .tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 0, max: 40 }))
      .map(([m, n]) => m / 2 ** n);
    const nines = fc
      .tuple(fc.integer({ min: -20, max: 20 }), fc.integer({ min: 0, max: 9999 }))
      .map(([e, tail]) => (1 - (tail + 1) * 1e-16) * 10 ** e);
    const anyDouble = fc.double({ noNaN: true, noDefaultInfinity: true });
    const score = fc.double({ min: 1e-7, max: 1, noNaN: true });
    fc.assert(
      fc.property(fc.oneof(anyDouble, score, tie, nines), fc.boolean(), (x, negate) => {
        const v = negate ? -x : x;
        expect(formatG12(v)).toBe(exactG12(v));
      }),
      { numRuns: 20000 },
    );
  });
});

describe('aggregate TSV', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kindred-tsv-'));

  it('parses rows with a byte loop, CRLF tolerated', () => {
    const path = join(dir, 'a.tsv');
    writeFileSync(path, 'user_id\tmerchant_id\tvisits\tlast_visit_day\r\n10\t7\t3\t29\r\n4\t7\t1\t0\n');
    const f = readAggregateTsv(path);
    expect(f.rows).toBe(2);
    expect(Array.from(f.userId)).toEqual([10, 4]);
    expect(Array.from(f.visits)).toEqual([3, 1]);
    expect(readFileSync(path, 'utf8')).toContain('10');
  });

  it('rejects a wrong header and bad fields with the line number', () => {
    const bad = join(dir, 'b.tsv');
    writeFileSync(bad, 'user\tmerchant\n1\t2\n');
    expect(() => readAggregateTsv(bad)).toThrow(TsvFormatError);
    writeFileSync(bad, 'user_id\tmerchant_id\tvisits\tlast_visit_day\n1\t2\tx\t3\n');
    expect(() => readAggregateTsv(bad)).toThrow(/:2: /);
  });

  it('densifies ids in ascending order (small and huge ids)', () => {
    expect(Array.from(densify(Float64Array.of(30, 10, 30, 20)).index)).toEqual([2, 0, 2, 1]);
    const big = densify(Float64Array.of(9e15, -5, 9e15, 1e12));
    expect(Array.from(big.index)).toEqual([2, 0, 2, 1]);
    expect(Array.from(big.unique)).toEqual([-5, 1e12, 9e15]);
  });
});

describe('top-k output', () => {
  /** Pools of `users` users with 0..7 candidates each and awkward scores (exponents, ties). */
  function poolsOf(users: number): CandidatePools {
    const offsets = new Int32Array(users + 1);
    const candidates: number[] = [];
    const overlap: number[] = [];
    for (let u = 0; u < users; u++) {
      const n = (u * 7) % 8;
      for (let r = 0; r < n; r++) {
        candidates.push((u + r + 1) % users);
        overlap.push(r === 0 ? 1 : 1 / (u + 3) ** (r % 4) / 3);
      }
      offsets[u + 1] = candidates.length;
    }
    return {
      users: Int32Array.from({ length: users }, (_, i) => i),
      offsets,
      candidates: Int32Array.from(candidates),
      overlap: Float64Array.from(overlap),
      shared: new Uint16Array(candidates.length),
      maxOverlap: 1,
      stats: emptyStats(),
    };
  }

  it('formatted on worker threads, the file is byte for byte the single-thread one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kindred-top-'));
    try {
      // more users than blocks × threads × in-flight blocks: blocks come back out of order
      const users = TOP_BLOCK_USERS * 9 + 17;
      const pools = poolsOf(users);
      const userIds = Float64Array.from({ length: users }, (_, i) => 1_000_000 + i * 3);
      const one = join(dir, 'one.tsv');
      const many = join(dir, 'many.tsv');
      const rows = writeTopTsv(one, pools, userIds, 3);
      const progress: number[] = [];
      const rowsParallel = await writeTopTsvParallel(many, pools, userIds, 3, 3, (done) =>
        progress.push(done),
      );
      expect(rowsParallel).toBe(rows);
      expect(rows).toBe(pools.candidates.length);
      const expected = readFileSync(one);
      expect(readFileSync(many).equals(expected)).toBe(true);
      expect(expected.toString().split('\n').length).toBe(rows + 2);
      expect(progress.at(-1)).toBe(users);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
