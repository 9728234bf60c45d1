/**
 * What each user buys in the window: which merchants (mega-chains by their share, then national,
 * online, city and local picks by Zipf popularity), how many visits (most 1–3, some regulars), on
 * which days, and the friend groups' shared merchants and outings where they pay within an hour of
 * each other.
 *
 * Structure (merchants, visit counts, days, outings) comes from the stream (seed, userVisits, user);
 * transaction details (times, amounts) from (seed, transactions, user): skipping the transaction
 * file changes nothing else.
 */
import { SPEND, VISITS, type Category } from './catalog.ts';
import type { MerchantCatalogue, MerchantPool } from './merchants.ts';
import { STREAM, type Population } from './population.ts';
import { AliasTable, Rng } from './random.ts';

export interface VisitOptions {
  seed: number;
  days: number;
  /** Weekday (0 = Sunday) of day index 0 of the window. */
  firstWeekday: number;
  /** Mean distinct non-mega merchants per user. */
  meanMerchants: number;
}

/** Shares of a user's non-mega picks per segment. */
const SEGMENT_WEIGHTS = { national: 0.15, online: 0.08, city: 0.28, local: 0.49 } as const;
const SEGMENTS = ['national', 'online', 'city', 'local'] as const;
/** Local picks made in another neighbourhood of the same city. */
const OTHER_NEIGHBOURHOOD = 0.15;
/** Log-space spread of how many merchants users have (activity). */
const ACTIVITY_SIGMA = 0.55;
/** Log-space spread of users' own ticket level (what spendLevel compares). */
const SPEND_SIGMA = 0.35;
const MAX_MERCHANTS = 400;

/** A friend group's plan: shared merchants and outings, the same for every member. */
export interface GroupPlan {
  members: Int32Array;
  shared: number[];
  outings: { merchant: number; day: number; localMinute: number; present: boolean[]; offset: number[] }[];
}

/** Visits of one user; the arrays are scratch buffers reused between users. */
export interface UserVisits {
  userId: number;
  /** Per distinct merchant, in increasing merchant id. */
  count: number;
  merchant: Int32Array;
  visits: Int32Array;
  lastDay: Int32Array;
  /** Per transaction: index into the merchant arrays, day, local minute (-1: drawn later). */
  txCount: number;
  txSlot: Int32Array;
  txDay: Int32Array;
  txMinute: Int32Array;
  /** The user's ticket level: multiplies every amount. */
  spendLevel: number;
}

/** Local hour weights per daypart profile. */
const HOURS = {
  morning: [0, 0, 0, 0, 0, 1, 3, 8, 10, 8, 6, 5, 5, 4, 4, 4, 4, 4, 3, 2, 2, 1, 1, 0],
  meals: [0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 3, 8, 10, 6, 3, 3, 4, 7, 10, 8, 5, 3, 2, 1],
  night: [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 8, 4],
  day: [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 5, 6, 7, 7, 7, 7, 7, 7, 8, 8, 7, 5, 2, 1],
} as const;
type Daypart = keyof typeof HOURS;

const DAYPART: Record<Category, Daypart> = {
  grocery: 'day',
  convenience: 'day',
  coffee: 'morning',
  tea: 'meals',
  restaurant: 'meals',
  fast_food: 'meals',
  bakery: 'morning',
  bar: 'night',
  fashion: 'day',
  beauty: 'day',
  electronics: 'day',
  books: 'day',
  sports: 'day',
  fitness: 'morning',
  entertainment: 'night',
  travel: 'day',
  transport: 'morning',
  pets: 'day',
  kids: 'day',
  home: 'day',
  health: 'day',
  education: 'day',
  online: 'day',
  other: 'day',
};

/** Relative activity per weekday, Sunday first. */
const WEEKDAY_WEIGHTS = [1.15, 0.9, 0.9, 0.95, 0.95, 1.1, 1.25];

export class VisitGenerator {
  private readonly megaIds: Int32Array;
  private readonly megaShares: Float64Array;
  private readonly segmentTable: AliasTable;
  private readonly dayTable: AliasTable;
  private readonly hourTables: Record<Daypart, AliasTable>;
  private readonly category: Category[];
  private readonly stamp: Int32Array;
  private readonly slotOf: Int32Array;
  private readonly out: UserVisits;
  private readonly groupCache = new Map<number, GroupPlan>();

  constructor(
    private readonly pop: Population,
    private readonly cat: MerchantCatalogue,
    private readonly opts: VisitOptions,
  ) {
    this.megaIds = Int32Array.from(cat.mega.ids);
    this.megaShares = Float64Array.from(cat.mega.shares);
    this.segmentTable = new AliasTable(SEGMENTS.map((s) => SEGMENT_WEIGHTS[s]));
    const dayWeights = Array.from(
      { length: opts.days },
      (_, d) => WEEKDAY_WEIGHTS[(opts.firstWeekday + d) % 7] as number,
    );
    this.dayTable = new AliasTable(dayWeights);
    this.hourTables = {
      morning: new AliasTable(HOURS.morning),
      meals: new AliasTable(HOURS.meals),
      night: new AliasTable(HOURS.night),
      day: new AliasTable(HOURS.day),
    };
    this.category = [cat.merchants[0]?.category ?? 'other', ...cat.merchants.map((m) => m.category)];
    this.stamp = new Int32Array(cat.merchants.length + 1);
    this.slotOf = new Int32Array(cat.merchants.length + 1);
    const txCap = 1 << 14;
    this.out = {
      userId: 0,
      count: 0,
      merchant: new Int32Array(MAX_MERCHANTS + 16),
      visits: new Int32Array(MAX_MERCHANTS + 16),
      lastDay: new Int32Array(MAX_MERCHANTS + 16),
      txCount: 0,
      txSlot: new Int32Array(txCap),
      txDay: new Int32Array(txCap),
      txMinute: new Int32Array(txCap),
      spendLevel: 1,
    };
  }

  /** The visits of user u (ids 1..N, called in any order). The result is overwritten by the next call. */
  user(u: number): UserVisits {
    const { pop, cat, opts, out, stamp } = this;
    const rng = new Rng(opts.seed, STREAM.userVisits, u);
    const activity = Math.exp(ACTIVITY_SIGMA * rng.normal() - (ACTIVITY_SIGMA * ACTIVITY_SIGMA) / 2);
    out.userId = u;
    out.spendLevel = Math.exp(SPEND_SIGMA * rng.normal());
    let n = 0;
    const take = (id: number): boolean => {
      if (stamp[id] === u || n >= MAX_MERCHANTS + 16) return false;
      stamp[id] = u;
      out.merchant[n++] = id;
      return true;
    };

    const tilt = 0.7 + 0.3 * activity;
    for (let i = 0; i < this.megaIds.length; i++) {
      if (rng.float() < Math.min(0.95, (this.megaShares[i] as number) * tilt))
        take(this.megaIds[i] as number);
    }

    const picks = Math.min(MAX_MERCHANTS, Math.max(3, Math.round(opts.meanMerchants * activity)));
    const cityPool = cat.city[pop.userCity[u] as number] as MerchantPool;
    const city = pop.cities[pop.userCity[u] as number];
    const ownNb = pop.userNb[u] as number;
    for (let k = 0; k < picks; k++) {
      const segment = SEGMENTS[this.segmentTable.sample(rng)];
      let pool: MerchantPool;
      if (segment === 'national') pool = cat.national;
      else if (segment === 'online') pool = cat.online;
      else if (segment === 'city') pool = cityPool;
      else {
        let nb = ownNb;
        if (city !== undefined && city.nbCount > 1 && rng.float() < OTHER_NEIGHBOURHOOD) {
          nb = city.nbStart + rng.int(city.nbCount);
        }
        pool = cat.local[nb] as MerchantPool;
      }
      // A repeated draw is retried a few times: popular merchants saturate, as in real data.
      for (let attempt = 0; attempt < 4; attempt++) {
        if (take(pool.ids[pool.table.sample(rng)] as number)) break;
      }
    }

    const g = pop.userGroup[u] as number;
    const plan = g >= 0 ? this.groupPlan(g) : undefined;
    const me = plan ? plan.members.indexOf(u) : -1;
    if (plan) {
      for (const id of plan.shared) if (rng.float() < 0.85) take(id);
      for (const o of plan.outings) if (o.present[me]) take(o.merchant);
    }

    out.count = n;
    out.merchant.subarray(0, n).sort();
    out.txCount = 0;
    for (let i = 0; i < n; i++) {
      const id = out.merchant[i] as number;
      this.slotOf[id] = i;
      const model = VISITS[SPEND[this.category[id] as Category].frequency];
      const visits =
        rng.float() < model.regularShare
          ? rng.range(model.regularMin, model.regularMax)
          : 1 + rng.geometric(model.p);
      let last = -1;
      for (let v = 0; v < visits; v++) {
        const day = this.dayTable.sample(rng);
        if (day > last) last = day;
        this.pushTx(i, day, -1);
      }
      out.visits[i] = visits;
      out.lastDay[i] = last;
    }
    if (plan) {
      for (const o of plan.outings) {
        if (!o.present[me] || stamp[o.merchant] !== u) continue;
        const slot = this.slotOf[o.merchant] as number;
        out.visits[slot] = (out.visits[slot] as number) + 1;
        if (o.day > (out.lastDay[slot] as number)) out.lastDay[slot] = o.day;
        this.pushTx(slot, o.day, o.localMinute + (o.offset[me] as number));
      }
    }
    return out;
  }

  /** Local minute of the day (0..1439) of a visit at a merchant, drawn from the detail stream. */
  localMinute(rng: Rng, merchantId: number): number {
    const hour = this.hourTables[DAYPART[this.category[merchantId] as Category]].sample(rng);
    return hour * 60 + rng.int(60);
  }

  /** Amount in cents of a visit: log-normal around the category median, merchant and user levels. */
  amountCents(rng: Rng, merchantId: number, spendLevel: number): number {
    const spend = SPEND[this.category[merchantId] as Category];
    const median = spend.medianCents * (this.cat.priceLevel[merchantId] as number) * spendLevel;
    return Math.max(100, Math.round(rng.logNormal(median, spend.sigma)));
  }

  /** The plan of friend group g: a pure function of (seed, g). */
  groupPlan(g: number): GroupPlan {
    const cached = this.groupCache.get(g);
    if (cached) return cached;
    const { pop, cat, opts } = this;
    const rng = new Rng(opts.seed, STREAM.groupPlan, g);
    const members = pop.groupMembers.subarray(pop.groupStart[g], pop.groupStart[g + 1]);
    const nb = pop.groupNb[g] as number;
    const local = cat.local[nb] as MerchantPool;
    const cityPool = cat.city[(pop.neighbourhoods[nb] as { city: number }).city] as MerchantPool;
    const shared = new Set<number>();
    const nLocal = rng.range(3, 5);
    const nCity = rng.range(0, 2);
    for (let guard = 0; shared.size < nLocal && guard < 50; guard++)
      shared.add(local.ids[local.table.sample(rng)] as number);
    for (let k = 0, guard = 0; k < nCity && guard < 50; guard++) {
      const id = cityPool.ids[cityPool.table.sample(rng)] as number;
      if (!shared.has(id)) {
        shared.add(id);
        k++;
      }
    }
    const sharedIds = [...shared].sort((a, b) => a - b);
    const outings: GroupPlan['outings'] = [];
    const nOutings = rng.range(0, 4);
    for (let k = 0; k < nOutings; k++) {
      const merchant = rng.pick(sharedIds);
      const present = Array.from(members, () => rng.float() < 0.75);
      // At least two members, or it is not an outing together.
      for (let i = 0; present.filter(Boolean).length < 2 && i < present.length; i++) present[i] = true;
      outings.push({
        merchant,
        day: this.dayTable.sample(rng),
        localMinute: Math.min(this.localMinute(rng, merchant), 1380),
        present,
        offset: Array.from(members, () => rng.int(50)),
      });
    }
    const plan: GroupPlan = { members, shared: sharedIds, outings };
    if (this.groupCache.size > 4096) this.groupCache.clear();
    this.groupCache.set(g, plan);
    return plan;
  }

  private pushTx(slot: number, day: number, minute: number): void {
    const out = this.out;
    if (out.txCount === out.txSlot.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      out.txSlot = grow(out.txSlot);
      out.txDay = grow(out.txDay);
      out.txMinute = grow(out.txMinute);
    }
    out.txSlot[out.txCount] = slot;
    out.txDay[out.txCount] = day;
    out.txMinute[out.txCount] = minute;
    out.txCount++;
  }
}
