import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { densify, formatG12, readAggregateTsv, TsvFormatError } from '../../../src/scoring/tsv.ts';

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
