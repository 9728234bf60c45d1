import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A malformed evaluation input (line numbers are 1-based). */
export class InputFormatError extends Error {}

/** Labelled or masked pairs as read: ids as in the file, label 1 or 0 (a mask has no label: 1). */
export type PairRows = { user: Float64Array; candidate: Float64Array; label: Uint8Array };

const INTEGER = /^-?\d{1,15}$/;

/**
 * Reads `user_id candidate_id label` (tab-separated, header first). With `labelOptional`, a
 * two-column file (a mask) is accepted. Labels are 0 or 1.
 */
export function readPairsTsv(path: string, options: { labelOptional?: boolean } = {}): PairRows {
  const lines = readFileSync(path, 'latin1').split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').split('\t');
  if (header[0] !== 'user_id' || header[1] !== 'candidate_id') {
    throw new InputFormatError(`${path}:1: expected a header "user_id\tcandidate_id\tlabel"`);
  }
  const hasLabel = header[2] === 'label';
  if (!hasLabel && options.labelOptional !== true) {
    throw new InputFormatError(`${path}:1: expected a third column "label"`);
  }
  const user: number[] = [];
  const candidate: number[] = [];
  const label: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line === '') continue;
    const cells = line.split('\t');
    const [u, c, l] = cells;
    if (u === undefined || c === undefined || !INTEGER.test(u) || !INTEGER.test(c)) {
      throw new InputFormatError(`${path}:${String(i + 1)}: user_id and candidate_id must be integers`);
    }
    let value = 1;
    if (hasLabel) {
      if (l !== '0' && l !== '1')
        throw new InputFormatError(`${path}:${String(i + 1)}: label must be 0 or 1`);
      value = Number(l);
    }
    user.push(Number(u));
    candidate.push(Number(c));
    label.push(value);
  }
  return {
    user: Float64Array.from(user),
    candidate: Float64Array.from(candidate),
    label: Uint8Array.from(label),
  };
}

/** Transactions as read: ids as in the file, the time in minutes since the epoch. */
export type TransactionRows = {
  rows: number;
  user: Float64Array;
  merchant: Float64Array;
  amountCents: Float64Array;
  minute: Float64Array;
};

const TX_HEADER = 'transaction_id,user_id,merchant_id,amount_cents,currency,occurred_at';

/**
 * Streams `transaction_id,user_id,merchant_id,amount_cents,currency,occurred_at` (the generator's
 * format; integer user and merchant ids, ISO 8601 times). `onProgress` receives bytes read.
 */
export async function readTransactionsCsv(
  path: string,
  onProgress?: (bytes: number) => void,
): Promise<TransactionRows> {
  const stream = createReadStream(path, { encoding: 'latin1', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let capacity = 1 << 16;
  let user: Float64Array = new Float64Array(capacity);
  let merchant: Float64Array = new Float64Array(capacity);
  let amount: Float64Array = new Float64Array(capacity);
  let minute: Float64Array = new Float64Array(capacity);
  let rows = 0;
  let lineNo = 0;
  let lastReport = 0;
  for await (const line of lines) {
    lineNo++;
    if (lineNo === 1) {
      if (line.trim() !== TX_HEADER)
        throw new InputFormatError(`${path}:1: expected the header "${TX_HEADER}"`);
      continue;
    }
    if (line === '') continue;
    const cells = line.split(',');
    const u = Number(cells[1]);
    const m = Number(cells[2]);
    const a = Number(cells[3]);
    const t = Date.parse(cells[5] ?? '');
    if (cells.length !== 6 || !Number.isInteger(u) || !Number.isInteger(m) || !(a > 0) || Number.isNaN(t)) {
      throw new InputFormatError(`${path}:${String(lineNo)}: malformed transaction row`);
    }
    if (rows === capacity) {
      capacity *= 2;
      user = grow(user, capacity);
      merchant = grow(merchant, capacity);
      amount = grow(amount, capacity);
      minute = grow(minute, capacity);
    }
    user[rows] = u;
    merchant[rows] = m;
    amount[rows] = a;
    minute[rows] = t / 60_000;
    rows++;
    if (onProgress !== undefined && rows - lastReport >= 100_000) {
      lastReport = rows;
      onProgress(stream.bytesRead);
    }
  }
  onProgress?.(stream.bytesRead);
  return {
    rows,
    user: user.subarray(0, rows),
    merchant: merchant.subarray(0, rows),
    amountCents: amount.subarray(0, rows),
    minute: minute.subarray(0, rows),
  };
}

function grow(from: Float64Array, capacity: number): Float64Array {
  const to = new Float64Array(capacity);
  to.set(from);
  return to;
}

/** The dense index of `id` in ascending `ids`, or −1. */
export function indexOfId(ids: Float64Array, id: number): number {
  let lo = 0;
  let hi = ids.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = ids[mid]!;
    if (v === id) return mid;
    if (v < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
