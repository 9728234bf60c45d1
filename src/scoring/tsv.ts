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
const FIVE = 53;
const NINE = 57;

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
 *
 * Both round the exact binary value; they differ only on an exact tie (C: to even, JavaScript:
 * away from zero). One `toExponential(12)` (13 digits, correctly rounded) settles the 12-digit
 * rounding whenever its 13th digit is not 5: below 5 the exact tail is below half a unit, above 5
 * it is above half (a carry into the 12th digit included). A 13th digit of 5 (a tenth of the
 * values) takes {@link roundTwelveDigits}, which also sees exact ties.
 */
export function formatG12(x: number): string {
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const d13 = x.toExponential(12); // [-]d.dddddddddddde±X
  const ePos = d13.indexOf('e');
  const last = d13.charCodeAt(ePos - 1);
  if (last === FIVE) return layoutG12(roundTwelveDigits(x));
  const neg = d13.charCodeAt(0) === MINUS;
  const lead = neg ? 1 : 0;
  // the 12 leading digits, without the point
  let digits = d13.slice(lead, lead + 1) + d13.slice(lead + 2, ePos - 1);
  let e = Number(d13.slice(ePos + 1));
  if (last > FIVE) {
    digits = incrementDigits(digits);
    if (digits.length > 12) {
      digits = digits.slice(0, 12);
      e++;
    }
  }
  return layoutG12({ neg, digits, e });
}

/** 12 significant digits of a number and its decimal exponent: `±d.ddddddddddd × 10^e`. */
interface TwelveDigits {
  neg: boolean;
  digits: string;
  e: number;
}

/** Adds one unit to a string of decimal digits (a carry out of the first makes it one longer). */
function incrementDigits(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits.charCodeAt(i) === NINE) i--;
  if (i < 0) return `1${'0'.repeat(digits.length)}`;
  return (
    digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1) + '0'.repeat(digits.length - 1 - i)
  );
}

/**
 * The 12-digit rounding of x as C does it: `toExponential(11)` rounds ties away from zero; C
 * rounds an exact tie (the exact expansion is 13 significant digits ending in 5) to even.
 */
function roundTwelveDigits(x: number): TwelveDigits {
  const a = Math.abs(x);
  let exp = a.toExponential(11);
  // a tie's exact expansion is 13 digits ending in 5, which 40 digits show whole (a non-tie within
  // 10⁻²⁷ of one, that a double's expansion would need 27 zeros in a row to be, would pass for one)
  const wide = a.toExponential(39);
  const ePos = wide.indexOf('e');
  if (wide.charCodeAt(13) === FIVE && /^0+$/.test(wide.slice(14, ePos)) && Number(wide[12]) % 2 === 0) {
    exp = wide.slice(0, 13) + wide.slice(ePos);
  }
  const e = exp.indexOf('e');
  return { neg: x < 0, digits: exp.slice(0, e).replace('.', ''), e: Number(exp.slice(e + 1)) };
}

/** `%g` layout of 12 rounded digits: exponent form below 10⁻⁴ and from 10¹², else fixed. */
function layoutG12({ neg, digits, e }: TwelveDigits): string {
  const sign = neg ? '-' : '';
  if (e < -4 || e >= 12) {
    const mant = stripZeros(`${digits.slice(0, 1)}.${digits.slice(1)}`);
    const ae = Math.abs(e);
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${String(ae)}`;
  }
  const fixed =
    e >= 0 ? `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}` : `0.${'0'.repeat(-e - 1)}${digits}`;
  return sign + stripZeros(fixed);
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  let end = s.length;
  while (s.charCodeAt(end - 1) === ZERO) end--;
  if (s.charCodeAt(end - 1) === 46) end--;
  return s.slice(0, end);
}

/**
 * Encodes `user_id candidate_id score rank` lines straight into bytes: each id's text is made
 * once (ids repeat k times as candidates), scores by {@link formatG12}; no per-line strings.
 */
export class TopRowEncoder {
  private readonly idText: Uint8Array;
  private readonly idStart: Int32Array;
  private readonly longestId: number;

  /** `userIds[i]`: the file's id of dense user i. */
  constructor(userIds: Float64Array) {
    const texts = Array.from(userIds, (id) => String(id));
    this.idStart = new Int32Array(texts.length + 1);
    let total = 0;
    let longest = 0;
    for (let i = 0; i < texts.length; i++) {
      total += texts[i]!.length;
      longest = Math.max(longest, texts[i]!.length);
      this.idStart[i + 1] = total;
    }
    this.idText = new Uint8Array(total);
    for (let i = 0; i < texts.length; i++) writeAscii(this.idText, this.idStart[i]!, texts[i]!);
    this.longestId = longest;
  }

  /**
   * The lines of pools `[from, to)` (rank 1 = best), ids mapped back to the file's ids; scores
   * are `overlap / divisor` (the run scaling of sqrt and none, 1 for cosine).
   */
  encode(
    pools: Pick<CandidatePools, 'users' | 'offsets' | 'candidates' | 'overlap'>,
    divisor: number,
    from: number,
    to: number,
  ): Uint8Array {
    const { users, offsets, candidates, overlap } = pools;
    const { idText, idStart } = this;
    const rows = offsets[to]! - offsets[from]!;
    // two ids, a %.12g score (at most 19 characters), a rank, three tabs and a newline
    const out = new Uint8Array(rows * (2 * this.longestId + 19 + 10 + 4));
    let at = 0;
    for (let i = from; i < to; i++) {
      const u = users[i]!;
      const us = idStart[u]!;
      const ue = idStart[u + 1]!;
      for (let j = offsets[i]!, rank = 1; j < offsets[i + 1]!; j++, rank++) {
        out.set(idText.subarray(us, ue), at);
        at += ue - us;
        out[at++] = TAB;
        const v = candidates[j]!;
        const vs = idStart[v]!;
        const ve = idStart[v + 1]!;
        for (let p = vs; p < ve; p++) out[at++] = idText[p]!;
        out[at++] = TAB;
        at = writeAscii(out, at, formatG12(divisor === 1 ? overlap[j]! : overlap[j]! / divisor));
        out[at++] = TAB;
        at = writeAscii(out, at, String(rank));
        out[at++] = LF;
      }
    }
    return out.subarray(0, at);
  }
}

/** Writes an ASCII string's characters at `at`; returns the next position. */
function writeAscii(out: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/** Writes the header and every pool's lines ({@link TopRowEncoder}) on this thread; returns the row count. */
export function writeTopTsv(
  path: string,
  pools: CandidatePools,
  userIds: Float64Array,
  divisor: number,
  onProgress?: (done: number, total: number) => void,
): number {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${TOP_HEADER}\n`);
    const n = pools.users.length;
    const encoder = new TopRowEncoder(userIds);
    for (let from = 0; from < n; from += TOP_BLOCK_USERS) {
      const to = Math.min(n, from + TOP_BLOCK_USERS);
      writeSync(fd, encoder.encode(pools, divisor, from, to));
      onProgress?.(to, n);
    }
    if (n === 0) onProgress?.(0, 0);
  } finally {
    closeSync(fd);
  }
  return pools.offsets[pools.users.length]!;
}

/** Pools formatted per block: about a megabyte of text at k = 50. */
export const TOP_BLOCK_USERS = 1024;
