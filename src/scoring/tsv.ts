import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import type { VisitColumns } from '../core/scoring/matrix.ts';
import type { CandidatePools } from '../core/scoring/candidates.ts';

/** Expected header of an aggregate file. */
export const AGG_HEADER = ['user_id', 'merchant_id', 'visits', 'last_visit_day'] as const;
/** Header of a top-k file. */
export const TOP_HEADER = 'user_id\tcandidate_id\tscore\trank';

/** Raw aggregate rows as read, ids as in the file. */
export interface AggregateFile {
  rows: number;
  userId: Float64Array;
  merchantId: Float64Array;
  visits: Int32Array;
  lastVisitDay: Int32Array;
}

/** An aggregate file mapped to dense indices (sorted ids → 0..n-1), ready for the core. */
export interface DenseAggregate {
  columns: VisitColumns;
  /** Original id of each dense user index (ascending). */
  userIds: Float64Array;
  merchantIds: Float64Array;
}

/** A malformed input file (line numbers are 1-based). */
export class TsvFormatError extends Error {}

const TAB = 9;
const LF = 10;
const CR = 13;
const MINUS = 45;
const ZERO = 48;

/**
 * Reads `user_id merchant_id visits last_visit_day` (tab-separated, header first) with a
 * byte-level loop over fixed-size chunks: no per-line strings. Integers only; `onProgress`
 * receives bytes read so far.
 */
export function readAggregateTsv(
  path: string,
  onProgress?: (bytes: number, total: number) => void,
): AggregateFile {
  const fd = openSync(path, 'r');
  try {
    const total = fstatSync(fd).size;
    const chunk = Buffer.allocUnsafe(1 << 22);
    // count lines first so the columns are allocated once, at their final size
    let lines = 1;
    for (let pos = 0; ;) {
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      for (let i = chunk.indexOf(LF, 0); i !== -1 && i < n; i = chunk.indexOf(LF, i + 1)) lines++;
      pos += n;
    }
    let cap = Math.max(16, lines);
    let userId = new Float64Array(cap);
    let merchantId = new Float64Array(cap);
    let visits = new Int32Array(cap);
    let lastVisitDay = new Int32Array(cap);
    let rows = 0;
    let line = 1;
    let field = 0;
    let value = 0;
    let digits = 0;
    let negative = false;
    let inHeader = true;
    let header = '';
    const fields = [0, 0, 0, 0];
    let bytes = 0;
    const fail = (msg: string): never => {
      throw new TsvFormatError(`${path}:${String(line)}: ${msg}`);
    };
    const endField = (): void => {
      if (digits === 0) fail(`field ${String(field + 1)} is not an integer`);
      if (field > 3) fail('more than 4 fields');
      fields[field++] = negative ? -value : value;
      value = 0;
      digits = 0;
      negative = false;
    };
    const endLine = (): void => {
      if (field === 0 && digits === 0) return; // blank line
      endField();
      if (field !== 4) fail(`expected 4 fields, got ${String(field)}`);
      if (rows === cap) {
        cap *= 2;
        userId = growF64(userId, cap);
        merchantId = growF64(merchantId, cap);
        visits = growI32(visits, cap);
        lastVisitDay = growI32(lastVisitDay, cap);
      }
      const v = fields[2]!;
      const d = fields[3]!;
      if (Math.abs(v) > 0x7fffffff || Math.abs(d) > 0x7fffffff) fail('visits or last_visit_day out of range');
      userId[rows] = fields[0]!;
      merchantId[rows] = fields[1]!;
      visits[rows] = v;
      lastVisitDay[rows] = d;
      rows++;
      field = 0;
    };
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, bytes);
      if (n === 0) break;
      let i = 0;
      if (inHeader) {
        while (i < n && chunk[i] !== LF) i++;
        header += chunk.toString('latin1', 0, i);
        if (i === n) {
          bytes += n;
          continue;
        }
        inHeader = false;
        i++;
        const names = header.replace(/\r$/, '').split('\t');
        if (names.join('\t') !== AGG_HEADER.join('\t')) {
          fail(`header must be "${AGG_HEADER.join('\\t')}", got "${names.join('\\t')}"`);
        }
        line++;
      }
      for (; i < n; i++) {
        const c = chunk[i]!;
        const dgt = c - ZERO;
        if (dgt >= 0 && dgt <= 9) {
          value = value * 10 + dgt;
          digits++;
          if (digits > 15) fail('integer too long');
        } else if (c === TAB) {
          endField();
        } else if (c === LF) {
          endLine();
          line++;
        } else if (c === MINUS && digits === 0 && !negative) {
          negative = true;
        } else if (c !== CR) {
          fail(`unexpected character ${JSON.stringify(String.fromCharCode(c))}`);
        }
      }
      bytes += n;
      onProgress?.(bytes, total);
    }
    if (inHeader) fail('missing header');
    if (digits > 0 || field > 0) endLine();
    return {
      rows,
      userId: userId.subarray(0, rows),
      merchantId: merchantId.subarray(0, rows),
      visits: visits.subarray(0, rows),
      lastVisitDay: lastVisitDay.subarray(0, rows),
    };
  } finally {
    closeSync(fd);
  }
}

function growF64(a: Float64Array, cap: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function growI32(a: Int32Array, cap: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

/**
 * Maps arbitrary integer ids to dense indices in ascending id order (so "smaller index" means
 * "smaller id"). Small non-negative ids use a lookup table, others a sort and binary search.
 */
export function densify(ids: Float64Array): { index: Int32Array; unique: Float64Array } {
  const n = ids.length;
  const index = new Int32Array(n);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = ids[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (n === 0) return { index, unique: new Float64Array(0) };
  if (min >= 0 && max < Math.max(1 << 20, 4 * n) && max < 2 ** 30) {
    const table = new Int32Array(max + 1);
    for (let i = 0; i < n; i++) table[ids[i]!] = 1;
    let count = 0;
    for (let x = 0; x <= max; x++) if (table[x] === 1) table[x] = ++count;
    const unique = new Float64Array(count);
    for (let x = 0; x <= max; x++) if (table[x]! > 0) unique[table[x]! - 1] = x;
    for (let i = 0; i < n; i++) index[i] = table[ids[i]!]! - 1;
    return { index, unique };
  }
  const sorted = Float64Array.from(ids).sort();
  let count = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) sorted[count++] = sorted[i]!;
  const unique = sorted.slice(0, count);
  for (let i = 0; i < n; i++) {
    const x = ids[i]!;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (unique[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    index[i] = lo;
  }
  return { index, unique };
}

/** Dense columns of an aggregate file (no merchant categories: every category weight is 1). */
export function toDense(file: AggregateFile): DenseAggregate {
  const users = densify(file.userId);
  const merchants = densify(file.merchantId);
  return {
    columns: {
      userCount: users.unique.length,
      merchantCount: merchants.unique.length,
      user: users.index,
      merchant: merchants.index,
      visits: file.visits,
      lastVisitDay: file.lastVisitDay,
    },
    userIds: users.unique,
    merchantIds: merchants.unique,
  };
}

/**
 * C's `printf("%.12g", x)`: 12 significant digits, trailing zeros removed, exponent form when the
 * decimal exponent is below −4 or at least 12 (the reference script's score format).
 */
export function formatG12(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  let exp = x.toExponential(11); // d.ddddddddddde±X, ties rounded away from zero
  // C rounds an exact tie to even: the exact expansion is 13 significant digits ending in 5
  const d13 = x.toExponential(12);
  const wide = d13.charCodeAt(d13.indexOf('e') - 1) === 53 ? x.toExponential(39) : '';
  if (wide !== '' && wide.slice(13, 14) === '5' && /^0+$/.test(wide.slice(14, wide.indexOf('e')))) {
    const last = Number(wide.slice(12, 13));
    if (last % 2 === 0) exp = wide.slice(0, 13) + wide.slice(wide.indexOf('e'));
  }
  const ePos = exp.indexOf('e');
  const e = Number(exp.slice(ePos + 1));
  if (e < -4 || e >= 12) {
    const mant = stripZeros(exp.slice(0, ePos));
    const sign = e < 0 ? '-' : '+';
    const ae = Math.abs(e);
    return `${mant}e${sign}${ae < 10 ? '0' : ''}${String(ae)}`;
  }
  // fixed notation from the same 12 rounded digits
  const neg = exp.startsWith('-');
  const digits = exp.slice(neg ? 1 : 0, ePos).replace('.', '');
  const fixed =
    e >= 0 ? `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}` : `0.${'0'.repeat(-e - 1)}${digits}`;
  return (neg ? '-' : '') + stripZeros(fixed);
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === ZERO) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * Writes `user_id candidate_id score rank` for every pool (rank 1 = best), ids mapped back to the
 * file's ids; scores are `overlap / divisor` (the run scaling of sqrt and none, 1 for cosine).
 */
export function writeTopTsv(
  path: string,
  pools: CandidatePools,
  userIds: Float64Array,
  divisor: number,
  onProgress?: (done: number, total: number) => void,
): number {
  const fd = openSync(path, 'w');
  let rows = 0;
  try {
    let buf = `${TOP_HEADER}\n`;
    const { users, offsets, candidates, overlap } = pools;
    for (let i = 0; i < users.length; i++) {
      const uid = String(userIds[users[i]!]!);
      for (let j = offsets[i]!, rank = 1; j < offsets[i + 1]!; j++, rank++) {
        const s = divisor === 1 ? overlap[j]! : overlap[j]! / divisor;
        buf += `${uid}\t${String(userIds[candidates[j]!]!)}\t${formatG12(s)}\t${String(rank)}\n`;
        rows++;
      }
      if (buf.length > 1 << 20) {
        writeSync(fd, buf);
        buf = '';
        onProgress?.(i + 1, users.length);
      }
    }
    writeSync(fd, buf);
    onProgress?.(users.length, users.length);
  } finally {
    closeSync(fd);
  }
  return rows;
}
