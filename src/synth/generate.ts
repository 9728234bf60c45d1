/**
 * Generates a synthetic population into a directory: agg.tsv (the score:file input),
 * transactions.csv, merchants.csv, profiles.jsonl, ties.tsv and meta.json. Every file is a pure
 * function of the options (no clock, no Math.random): the same options give byte-identical files.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CURRENCY, TIMEZONE, TIMEZONE_OFFSET_MINUTES } from './catalog.ts';
import { buildMerchants, type MerchantCatalogue } from './merchants.ts';
import { buildPopulation, profileFor, STREAM, type Population } from './population.ts';
import { Rng } from './random.ts';
import { VisitGenerator } from './visits.ts';
import { ChunkWriter, csvField, TimestampFormatter } from './writers.ts';

export const DEFAULT_END_DATE = '2026-11-21';

export interface GenerateOptions {
  users: number;
  seed: number;
  outDir: string;
  /** Window length in days; day index days-1 is `endDate`. */
  days: number;
  /** Last day of the window (YYYY-MM-DD, calendar date in Asia/Shanghai). */
  endDate: string;
  /** Write transactions.csv (large: about 90 rows per user). */
  transactions: boolean;
  /** Called every few thousand users of the main phase. */
  onProgress?: (usersDone: number) => void;
}

/** Model parameters: calibrated so that P = Σ df² lands near performance-notes.md's populations. */
export const MODEL = {
  cities: 8,
  neighbourhoodSize: 3500,
  groupShare: 0.1,
  nationalChains: 2000,
  onlineShops: 1500,
  residentsPerCityMerchant: 40,
  localPerNeighbourhood: 60,
  meanMerchants: 38.5,
} as const;

export interface MegaChainStats {
  merchantId: number;
  name: string;
  category: string;
  df: number;
  share: number;
}

export interface Meta {
  generator: string;
  parameters: {
    users: number;
    seed: number;
    days: number;
    startDate: string;
    endDate: string;
    dayIndex: string;
    transactionsWritten: boolean;
    model: typeof MODEL;
  };
  counts: {
    users: number;
    cities: number;
    neighbourhoods: number;
    merchants: number;
    merchantsVisited: number;
    aggRows: number;
    transactions: number;
    friendGroups: number;
    tiesPositive: number;
    tiesNegative: number;
  };
  meanMerchantsPerUser: number;
  meanVisitsPerRow: number;
  /** Σ over merchants of df(m)²: the multiply-adds of an exact inverted-index top-k. */
  P: number;
  megaShareOfP: number;
  megaChains: MegaChainStats[];
}

export interface GenerateResult {
  meta: Meta;
  /** Seconds per phase. */
  timings: Record<string, number>;
}

export function parseEndDate(endDate: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(endDate);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== endDate) {
    throw new RangeError(`end date must be a valid YYYY-MM-DD, got ${endDate}`);
  }
  return ms;
}

export function generate(opts: GenerateOptions): GenerateResult {
  if (!Number.isInteger(opts.users) || opts.users < 2) throw new RangeError('users must be an integer ≥ 2');
  if (!Number.isInteger(opts.days) || opts.days < 1 || opts.days > 4000)
    throw new RangeError('days must be 1..4000');
  if (!Number.isSafeInteger(opts.seed) || opts.seed < 0)
    throw new RangeError('seed must be a non-negative integer');
  const endMs = parseEndDate(opts.endDate);
  const firstDayMs = endMs - (opts.days - 1) * 86_400_000;
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (phase: string): void => {
    const now = performance.now();
    timings[phase] = (now - t) / 1000;
    t = now;
  };

  mkdirSync(opts.outDir, { recursive: true });
  const pop = buildPopulation({
    users: opts.users,
    seed: opts.seed,
    cities: MODEL.cities,
    neighbourhoodSize: MODEL.neighbourhoodSize,
    groupShare: MODEL.groupShare,
  });
  const cat = buildMerchants(pop, {
    seed: opts.seed,
    nationalChains: MODEL.nationalChains,
    onlineShops: MODEL.onlineShops,
    residentsPerCityMerchant: MODEL.residentsPerCityMerchant,
    localPerNeighbourhood: MODEL.localPerNeighbourhood,
  });
  lap('model');

  writeMerchants(join(opts.outDir, 'merchants.csv'), pop, cat);
  writeProfiles(join(opts.outDir, 'profiles.jsonl'), pop, opts.seed, new Date(endMs).getUTCFullYear());
  lap('profiles');

  const gen = new VisitGenerator(pop, cat, {
    seed: opts.seed,
    days: opts.days,
    firstWeekday: new Date(firstDayMs).getUTCDay(),
    meanMerchants: MODEL.meanMerchants,
  });
  const df = new Int32Array(cat.merchants.length + 1);
  const agg = new ChunkWriter(join(opts.outDir, 'agg.tsv'), true);
  agg.write('user_id\tmerchant_id\tvisits\tlast_visit_day\n');
  const tx = opts.transactions ? new ChunkWriter(join(opts.outDir, 'transactions.csv'), true) : undefined;
  tx?.write('transaction_id,user_id,merchant_id,amount_cents,currency,occurred_at\n');
  const stamp = new TimestampFormatter(firstDayMs, opts.days, TIMEZONE_OFFSET_MINUTES);
  let aggRows = 0;
  let transactions = 0;
  let visitSum = 0;
  for (let u = 1; u <= opts.users; u++) {
    const v = gen.user(u);
    let rows = '';
    for (let i = 0; i < v.count; i++) {
      const m = v.merchant[i] as number;
      df[m] = (df[m] as number) + 1;
      visitSum += v.visits[i] as number;
      rows += `${u}\t${m}\t${v.visits[i] as number}\t${v.lastDay[i] as number}\n`;
    }
    agg.write(rows);
    aggRows += v.count;
    if (tx) {
      const rng = new Rng(opts.seed, STREAM.transactions, u);
      let lines = '';
      for (let k = 0; k < v.txCount; k++) {
        const m = v.merchant[v.txSlot[k] as number] as number;
        const fixed = v.txMinute[k] as number;
        const minute = fixed >= 0 ? fixed : gen.localMinute(rng, m);
        const amount = gen.amountCents(rng, m, v.spendLevel);
        const at = stamp.format(v.txDay[k] as number, minute, rng.int(60));
        lines += `${transactions + k + 1},${u},${m},${amount},${CURRENCY},${at}\n`;
      }
      tx.write(lines);
    }
    transactions += v.txCount;
    if (opts.onProgress && (u % 5000 === 0 || u === opts.users)) opts.onProgress(u);
  }
  agg.close();
  tx?.close();
  lap('visits');

  const ties = writeTies(join(opts.outDir, 'ties.tsv'), pop, opts.seed);
  lap('ties');

  let P = 0;
  let merchantsVisited = 0;
  for (let m = 1; m < df.length; m++) {
    const d = df[m] as number;
    P += d * d;
    if (d > 0) merchantsVisited++;
  }
  const megaChains = cat.mega.ids.map((id) => {
    const m = cat.merchants[id - 1];
    const d = df[id] as number;
    return { merchantId: id, name: m?.name ?? '', category: m?.category ?? '', df: d, share: d / opts.users };
  });
  const megaP = megaChains.reduce((s, c) => s + c.df * c.df, 0);
  const meta: Meta = {
    generator: 'kindred synthetic population v1',
    parameters: {
      users: opts.users,
      seed: opts.seed,
      days: opts.days,
      startDate: new Date(firstDayMs).toISOString().slice(0, 10),
      endDate: opts.endDate,
      dayIndex: `calendar date in ${TIMEZONE}; 0 = startDate, days-1 = endDate`,
      transactionsWritten: opts.transactions,
      model: MODEL,
    },
    counts: {
      users: opts.users,
      cities: pop.cities.length,
      neighbourhoods: pop.neighbourhoods.length,
      merchants: cat.merchants.length,
      merchantsVisited,
      aggRows,
      transactions,
      friendGroups: pop.groupNb.length,
      tiesPositive: ties.positive,
      tiesNegative: ties.negative,
    },
    meanMerchantsPerUser: aggRows / opts.users,
    meanVisitsPerRow: visitSum / Math.max(1, aggRows),
    P,
    megaShareOfP: P > 0 ? megaP / P : 0,
    megaChains,
  };
  const metaOut = new ChunkWriter(join(opts.outDir, 'meta.json'));
  metaOut.write(`${JSON.stringify(meta, null, 2)}\n`);
  metaOut.close();
  lap('meta');
  return { meta, timings };
}

function writeMerchants(path: string, pop: Population, cat: MerchantCatalogue): void {
  const w = new ChunkWriter(path);
  w.write('merchant_id,name,category,city,lat,lng\n');
  for (const m of cat.merchants) {
    const city = m.city >= 0 ? (pop.cities[m.city]?.name ?? '') : '';
    const lat = Number.isNaN(m.lat) ? '' : m.lat.toFixed(6);
    const lng = Number.isNaN(m.lng) ? '' : m.lng.toFixed(6);
    w.write(`${m.id},${csvField(m.name)},${m.category},${csvField(city)},${lat},${lng}\n`);
  }
  w.close();
}

function writeProfiles(path: string, pop: Population, seed: number, endYear: number): void {
  const w = new ChunkWriter(path);
  for (let u = 1; u <= pop.users; u++) {
    const city = pop.cities[pop.userCity[u] as number]?.name ?? '';
    w.write(`${JSON.stringify(profileFor(seed, u, city, endYear))}\n`);
  }
  w.close();
}

/**
 * Planted ties (every pair inside a friend group, label 1) and four times as many label-0 pairs:
 * half from the same neighbourhood (hard negatives), half from the same city.
 */
function writeTies(path: string, pop: Population, seed: number): { positive: number; negative: number } {
  const w = new ChunkWriter(path);
  w.write('user_id\tcandidate_id\tlabel\n');
  const seen = new Set<number>();
  const key = (a: number, b: number): number => Math.min(a, b) * (pop.users + 1) + Math.max(a, b);
  let positive = 0;
  for (let g = 0; g < pop.groupNb.length; g++) {
    const members = Array.from(pop.groupMembers.subarray(pop.groupStart[g], pop.groupStart[g + 1])).sort(
      (a, b) => a - b,
    );
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const a = members[i] as number;
        const b = members[j] as number;
        seen.add(key(a, b));
        w.write(`${a}\t${b}\t1\n`);
        positive++;
      }
    }
  }
  const rng = new Rng(seed, STREAM.ties);
  const wanted = Math.max(10, positive * 4);
  let negative = 0;
  for (let attempt = 0; negative < wanted && attempt < wanted * 20; attempt++) {
    const u = 1 + rng.int(pop.users);
    let nb = pop.userNb[u] as number;
    if (attempt % 2 === 1) {
      const city = pop.cities[pop.userCity[u] as number];
      if (city) nb = city.nbStart + rng.int(city.nbCount);
    }
    const lo = pop.nbOffset[nb] as number;
    const hi = pop.nbOffset[nb + 1] as number;
    if (hi <= lo) continue;
    const v = pop.nbResidents[lo + rng.int(hi - lo)] as number;
    const gu = pop.userGroup[u] as number;
    if (v === u || (gu >= 0 && gu === pop.userGroup[v]) || seen.has(key(u, v))) continue;
    seen.add(key(u, v));
    w.write(`${Math.min(u, v)}\t${Math.max(u, v)}\t0\n`);
    negative++;
  }
  w.close();
  return { positive, negative };
}
