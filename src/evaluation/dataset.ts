import { randomInt, seededRandom } from '../core/evaluation/index.ts';
import type { DenseAggregate } from '../scoring/tsv.ts';
import { indexOfId, type PairRows, type TransactionRows } from './inputs.ts';

/**
 * Transactions grouped by user, then merchant, then time (dense indices): the runs of user u are
 * `userRunStart[u]..userRunStart[u+1]`, run r is merchant `runMerchant[r]` with the sorted minutes
 * `minutes[runStart[r]..runStart[r+1])`.
 */
export type TransactionIndex = {
  userRunStart: Int32Array;
  runMerchant: Int32Array;
  runStart: Int32Array;
  minutes: Float64Array;
  /** Average ticket per user in cents (0 without transactions). */
  avgTicket: Float64Array;
  rows: number;
};

/**
 * Everything the evaluation of one data set needs, independent of the weight set's matrix fields:
 * the AUC pairs (dense indices, −1 for an id absent from the aggregates: such a pair scores 0),
 * the users ranked for precision and recall with their relevant and masked candidates, and the
 * transactions for co-presence and spend level.
 */
export type Dataset = {
  dense: DenseAggregate;
  userCount: number;
  pairU: Int32Array;
  pairV: Int32Array;
  pairLabel: Uint8Array;
  positives: number;
  labelledNegatives: number;
  sampledNegatives: number;
  maskedPairs: number;
  /** Users with at least one unmasked positive, ascending. */
  rankUsers: Int32Array;
  relevant: Map<number, Set<number>>;
  masked: Map<number, Set<number>>;
  maxMaskedPerUser: number;
  transactions: TransactionIndex | null;
};

export type DatasetOptions = {
  seed: number;
  /** Random pairs not labelled 1 added as negatives (default 200,000). */
  negatives: number;
  windowDays: number;
  minAmountCents: number;
};

const addTo = (map: Map<number, Set<number>>, key: number, value: number): void => {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
};

/**
 * Maps labels, mask and transactions onto the aggregate's dense indices and samples the random
 * negatives: uniform ordered pairs of distinct users, redrawn when labelled 1 or masked (in either
 * direction). Ties and masks are symmetric: a pair {u, v} labelled 1 makes v relevant to u and u to v.
 */
export function buildDataset(
  dense: DenseAggregate,
  labels: PairRows,
  mask: PairRows | null,
  transactions: TransactionRows | null,
  options: DatasetOptions,
): Dataset {
  const U = dense.columns.userCount;
  const idx = (id: number): number => indexOfId(dense.userIds, id);
  const key = (a: number, b: number): number => a * U + b;

  const masked = new Map<number, Set<number>>();
  const maskKeys = new Set<number>();
  if (mask !== null) {
    for (let i = 0; i < mask.user.length; i++) {
      const a = idx(mask.user[i]!);
      const b = idx(mask.candidate[i]!);
      if (a < 0 || b < 0) continue;
      addTo(masked, a, b);
      addTo(masked, b, a);
      maskKeys.add(key(a, b)).add(key(b, a));
    }
  }
  const isMasked = (a: number, b: number): boolean => a >= 0 && b >= 0 && maskKeys.has(key(a, b));

  const positiveKeys = new Set<number>();
  const relevant = new Map<number, Set<number>>();
  for (let i = 0; i < labels.user.length; i++) {
    if (labels.label[i] !== 1) continue;
    const a = idx(labels.user[i]!);
    const b = idx(labels.candidate[i]!);
    if (a < 0 || b < 0 || isMasked(a, b)) continue;
    positiveKeys.add(key(a, b)).add(key(b, a));
    addTo(relevant, a, b);
    addTo(relevant, b, a);
  }

  const pairU: number[] = [];
  const pairV: number[] = [];
  const pairLabel: number[] = [];
  let positives = 0;
  let labelledNegatives = 0;
  let maskedPairs = 0;
  for (let i = 0; i < labels.user.length; i++) {
    const a = idx(labels.user[i]!);
    const b = idx(labels.candidate[i]!);
    if (isMasked(a, b)) {
      maskedPairs++;
      continue;
    }
    const label = labels.label[i]!;
    if (label === 0 && a >= 0 && b >= 0 && positiveKeys.has(key(a, b))) continue;
    pairU.push(a);
    pairV.push(b);
    pairLabel.push(label);
    if (label === 1) positives++;
    else labelledNegatives++;
  }

  let sampledNegatives = 0;
  if (U >= 2 && options.negatives > 0) {
    const random = seededRandom(options.seed);
    const maxDraws = options.negatives * 20;
    for (let draws = 0; sampledNegatives < options.negatives && draws < maxDraws; draws++) {
      const a = randomInt(random, U);
      const b = randomInt(random, U);
      if (a === b || positiveKeys.has(key(a, b)) || maskKeys.has(key(a, b))) continue;
      pairU.push(a);
      pairV.push(b);
      pairLabel.push(0);
      sampledNegatives++;
    }
  }

  let maxMaskedPerUser = 0;
  for (const set of masked.values()) maxMaskedPerUser = Math.max(maxMaskedPerUser, set.size);

  return {
    dense,
    userCount: U,
    pairU: Int32Array.from(pairU),
    pairV: Int32Array.from(pairV),
    pairLabel: Uint8Array.from(pairLabel),
    positives,
    labelledNegatives,
    sampledNegatives,
    maskedPairs,
    rankUsers: Int32Array.from([...relevant.keys()].sort((x, y) => x - y)),
    relevant,
    masked,
    maxMaskedPerUser,
    transactions: transactions === null ? null : indexTransactions(dense, transactions, options),
  };
}

/**
 * Keeps the transactions of known users at known merchants, of at least `minAmountCents`, in the
 * `windowDays` ending at the newest transaction, and groups them (see {@link TransactionIndex}).
 */
export function indexTransactions(
  dense: DenseAggregate,
  tx: TransactionRows,
  options: Pick<DatasetOptions, 'windowDays' | 'minAmountCents'>,
): TransactionIndex {
  const U = dense.columns.userCount;
  let newest = -Infinity;
  for (let i = 0; i < tx.rows; i++) newest = Math.max(newest, tx.minute[i]!);
  const from = newest - options.windowDays * 1440;
  const keep: number[] = [];
  const userOf = new Int32Array(tx.rows);
  const merchantOf = new Int32Array(tx.rows);
  for (let i = 0; i < tx.rows; i++) {
    if (tx.amountCents[i]! < options.minAmountCents || tx.minute[i]! <= from) continue;
    const u = indexOfId(dense.userIds, tx.user[i]!);
    const m = indexOfId(dense.merchantIds, tx.merchant[i]!);
    if (u < 0 || m < 0) continue;
    userOf[i] = u;
    merchantOf[i] = m;
    keep.push(i);
  }
  const order = Int32Array.from(keep).sort(
    (a, b) => userOf[a]! - userOf[b]! || merchantOf[a]! - merchantOf[b]! || tx.minute[a]! - tx.minute[b]!,
  );
  const minutes = new Float64Array(order.length);
  const runMerchant: number[] = [];
  const runStart: number[] = [];
  const runUser: number[] = [];
  const spend = new Float64Array(U);
  const count = new Float64Array(U);
  order.forEach((row, j) => {
    const u = userOf[row]!;
    const m = merchantOf[row]!;
    minutes[j] = tx.minute[row]!;
    spend[u]! += tx.amountCents[row]!;
    count[u]! += 1;
    if (j === 0 || userOf[order[j - 1]!] !== u || merchantOf[order[j - 1]!] !== m) {
      runMerchant.push(m);
      runStart.push(j);
      runUser.push(u);
    }
  });
  runStart.push(order.length);
  const userRunStart = new Int32Array(U + 1);
  for (const u of runUser) userRunStart[u + 1]!++;
  for (let u = 0; u < U; u++) userRunStart[u + 1]! += userRunStart[u]!;
  const avgTicket = new Float64Array(U);
  for (let u = 0; u < U; u++) avgTicket[u] = count[u]! > 0 ? spend[u]! / count[u]! : 0;
  return {
    userRunStart,
    runMerchant: Int32Array.from(runMerchant),
    runStart: Int32Array.from(runStart),
    minutes,
    avgTicket,
    rows: order.length,
  };
}

function findRun(index: TransactionIndex, u: number, m: number): number {
  let lo = index.userRunStart[u]!;
  let hi = index.userRunStart[u + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = index.runMerchant[mid]!;
    if (v === m) return mid;
    if (v < m) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The smallest |t_u − t_v| in minutes between u's and v's payments at merchant m (Infinity if none). */
export function minGapMinutes(index: TransactionIndex, u: number, v: number, m: number): number {
  const ru = findRun(index, u, m);
  const rv = findRun(index, v, m);
  if (ru < 0 || rv < 0) return Infinity;
  const t = index.minutes;
  let i = index.runStart[ru]!;
  const iEnd = index.runStart[ru + 1]!;
  let j = index.runStart[rv]!;
  const jEnd = index.runStart[rv + 1]!;
  let best = Infinity;
  while (i < iEnd && j < jEnd) {
    const d = t[i]! - t[j]!;
    const abs = Math.abs(d);
    if (abs < best) best = abs;
    if (d < 0) i++;
    else j++;
  }
  return best;
}
