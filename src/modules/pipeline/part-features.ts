/**
 * A prepare part's feature rows, aggregated in the worker from its window's transactions as
 * Postgres streams them in user order (`preparePart` in pipeline.repository.ts). The same rows
 * the part's one SQL statement made (design section 4's inputs): per user, its merchants in id
 * order with, per merchant, the visits, the day of the last visit (`⌊max minute / 1440⌋`) and
 * every visit's minute ascending; the user's amount and transaction count; per merchant, the
 * part's users who visited it. In SQL the two ordered aggregations sorted every window row by
 * user, merchant and minute (2.7 s of a part's 4–5 s at 200,000 users); here Postgres only
 * streams the rows in the order of its (user, time) index, and each user's ~90 rows are sorted
 * on their own.
 */

/** One user's feature row, as `run_features` stores it. */
export type PartFeature = {
  userId: number;
  merchantIds: number[];
  visits: number[];
  lastDays: number[];
  /** Merchant after merchant, each merchant's minutes ascending (`visits[i]` of them). */
  minutes: number[];
  amountCents: number;
  txnCount: number;
};

export type FeatureAggregator = {
  /** One window transaction; all of a user's must come together (any order among them). */
  add: (userId: number, merchantId: number, amountCents: number, minute: number) => void;
  /** Emits the last user's row; returns the part's df: merchant id → users who visited it. */
  finish: () => Map<number, number>;
};

/** Minutes below 2²³ (a window of up to 5,825 days) and merchant ids below 2³⁰ make one exact sort key. */
const MINUTE_BITS = 2 ** 23;
const KEY_MERCHANT_LIMIT = 2 ** 30;

export function createFeatureAggregator(onUser: (row: PartFeature) => void): FeatureAggregator {
  let capacity = 256;
  let merchant = new Float64Array(capacity);
  let minute = new Float64Array(capacity);
  let key = new Float64Array(capacity);
  let n = 0;
  let amount = 0;
  let current = -1;
  const seen = new Set<number>();
  const df = new Map<number, number>();

  const grow = (): void => {
    capacity *= 2;
    const copy = (a: Float64Array) => {
      const b = new Float64Array(capacity);
      b.set(a);
      return b;
    };
    merchant = copy(merchant);
    minute = copy(minute);
    key = new Float64Array(capacity);
  };

  /**
   * The user's rows in (merchant, minute) order, as `merchant·2²³ + minute` keys sorted natively;
   * rows with equal merchant and minute are interchangeable. Ids or minutes out of the key's
   * range fall back to a comparator sort.
   */
  const sortedKeys = (): Float64Array => {
    let packed = true;
    for (let i = 0; i < n && packed; i++) {
      packed =
        merchant[i]! >= 0 && merchant[i]! < KEY_MERCHANT_LIMIT && minute[i]! >= 0 && minute[i]! < MINUTE_BITS;
    }
    const keys = key.subarray(0, n);
    if (packed) {
      for (let i = 0; i < n; i++) keys[i] = merchant[i]! * MINUTE_BITS + minute[i]!;
      return keys.sort();
    }
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => merchant[a]! - merchant[b]! || minute[a]! - minute[b]!,
    );
    // the fallback's order as indices, decoded below through `merchant` and `minute`
    return Float64Array.from(order, (i) => -(i + 1));
  };

  const flush = (): void => {
    if (n === 0) return;
    const keys = sortedKeys();
    const merchantAt = (r: number): number => {
      const k = keys[r]!;
      return k < 0 ? merchant[-k - 1]! : Math.floor(k / MINUTE_BITS);
    };
    const minuteAt = (r: number): number => {
      const k = keys[r]!;
      return k < 0 ? minute[-k - 1]! : k - Math.floor(k / MINUTE_BITS) * MINUTE_BITS;
    };
    const row: PartFeature = {
      userId: current,
      merchantIds: [],
      visits: [],
      lastDays: [],
      minutes: [],
      amountCents: amount,
      txnCount: n,
    };
    for (let r = 0; r < n;) {
      const m = merchantAt(r);
      let visits = 0;
      let last = 0;
      for (; r < n && merchantAt(r) === m; r++) {
        last = minuteAt(r);
        row.minutes.push(last);
        visits++;
      }
      row.merchantIds.push(m);
      row.visits.push(visits);
      row.lastDays.push(Math.floor(last / 1440));
      df.set(m, (df.get(m) ?? 0) + 1);
    }
    onUser(row);
    n = 0;
    amount = 0;
  };

  return {
    add(userId, merchantId, amountCents, minuteOfWindow) {
      if (userId !== current) {
        flush();
        if (seen.has(userId)) throw new Error(`the rows of user ${String(userId)} came apart`);
        seen.add(userId);
        current = userId;
      }
      if (n === capacity) grow();
      merchant[n] = merchantId;
      minute[n] = minuteOfWindow;
      amount += amountCents;
      n++;
    },
    finish() {
      flush();
      return df;
    },
  };
}
