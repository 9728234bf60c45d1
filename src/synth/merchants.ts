/**
 * The merchant catalogue: eight mega-chains, national chains and online shops (no city), city
 * merchants, and local shops per neighbourhood. Popularity inside each segment is Zipf–Mandelbrot,
 * with ranks shuffled so that merchant ids say nothing about popularity.
 */
import { BRAND_SYLLABLES, CATEGORY_NOUNS, NAME_ADJECTIVES, type Category } from './catalog.ts';
import type { Population } from './population.ts';
import { STREAM } from './population.ts';
import { AliasTable, Rng, zipfWeights } from './random.ts';

export type Segment = 'mega' | 'national' | 'online' | 'city' | 'local';

export interface Merchant {
  id: number;
  name: string;
  category: Category;
  segment: Segment;
  /** City index, or -1 for national and online merchants. */
  city: number;
  /** Neighbourhood index of local shops, else -1. */
  nb: number;
  /** Location of merchants that have one address (city and local ones), else NaN. */
  lat: number;
  lng: number;
}

/** Merchants of one segment (or one city, one neighbourhood) with their popularity. */
export interface MerchantPool {
  ids: Int32Array;
  table: AliasTable;
}

export interface MerchantCatalogue {
  /** merchants[id - 1]. */
  merchants: Merchant[];
  /** Price level of each merchant (multiplies its category's median ticket), indexed by id. */
  priceLevel: Float32Array;
  mega: { ids: number[]; shares: number[] };
  national: MerchantPool;
  online: MerchantPool;
  /** Per city index. */
  city: MerchantPool[];
  /** Per neighbourhood index. */
  local: MerchantPool[];
}

export interface MerchantOptions {
  seed: number;
  nationalChains: number;
  onlineShops: number;
  /** One city merchant per this many residents of the city. */
  residentsPerCityMerchant: number;
  localPerNeighbourhood: number;
}

/** The mega-chains: each visited by the given share of all users (10–35%). */
export const MEGA_CHAINS: readonly { name: string; category: Category; share: number }[] = [
  { name: 'Sunrise Mart', category: 'convenience', share: 0.32 },
  { name: 'MetroGo Pay', category: 'transport', share: 0.28 },
  { name: 'Bazaar Online', category: 'online', share: 0.24 },
  { name: 'Crispy King', category: 'fast_food', share: 0.2 },
  { name: 'Cloud Coffee', category: 'coffee', share: 0.17 },
  { name: 'Lotus Milk Tea', category: 'tea', share: 0.15 },
  { name: 'FreshWay Supermarket', category: 'grocery', share: 0.135 },
  { name: 'DineDash Delivery', category: 'restaurant', share: 0.12 },
];

type Mix = readonly (readonly [Category, number])[];

const NATIONAL_MIX: Mix = [
  ['fashion', 12],
  ['electronics', 8],
  ['beauty', 8],
  ['sports', 6],
  ['fast_food', 8],
  ['restaurant', 8],
  ['coffee', 4],
  ['tea', 5],
  ['home', 6],
  ['kids', 4],
  ['pets', 3],
  ['health', 5],
  ['books', 3],
  ['fitness', 3],
  ['travel', 5],
  ['entertainment', 5],
  ['grocery', 3],
  ['convenience', 2],
  ['bakery', 2],
  ['transport', 2],
  ['education', 2],
  ['other', 2],
];

const ONLINE_MIX: Mix = [
  ['online', 50],
  ['fashion', 10],
  ['electronics', 8],
  ['books', 6],
  ['beauty', 6],
  ['home', 6],
  ['kids', 3],
  ['pets', 3],
  ['travel', 4],
  ['education', 2],
  ['entertainment', 2],
];

const CITY_MIX: Mix = [
  ['restaurant', 25],
  ['bar', 8],
  ['entertainment', 7],
  ['fitness', 6],
  ['fashion', 6],
  ['beauty', 5],
  ['education', 5],
  ['health', 5],
  ['coffee', 5],
  ['tea', 4],
  ['bakery', 3],
  ['sports', 3],
  ['home', 4],
  ['kids', 3],
  ['travel', 2],
  ['books', 2],
  ['other', 4],
  ['pets', 2],
  ['electronics', 2],
];

const LOCAL_MIX: Mix = [
  ['grocery', 10],
  ['convenience', 10],
  ['bakery', 8],
  ['coffee', 8],
  ['tea', 9],
  ['restaurant', 22],
  ['fast_food', 6],
  ['bar', 3],
  ['beauty', 7],
  ['health', 5],
  ['pets', 2],
  ['fitness', 3],
  ['kids', 2],
  ['education', 2],
  ['other', 6],
];

/** Zipf–Mandelbrot shape (exponent, offset) of popularity per segment. */
export const POPULARITY: Record<Exclude<Segment, 'mega'>, readonly [number, number]> = {
  national: [0.75, 8],
  online: [0.7, 8],
  city: [0.8, 4],
  local: [0.7, 2],
};

class MixSampler {
  private readonly table: AliasTable;
  constructor(private readonly mix: Mix) {
    this.table = new AliasTable(mix.map(([, w]) => w));
  }
  sample(rng: Rng): Category {
    return (this.mix[this.table.sample(rng)] as readonly [Category, number])[0];
  }
}

export function buildMerchants(pop: Population, opts: MerchantOptions): MerchantCatalogue {
  const rng = new Rng(opts.seed, STREAM.merchants);
  const merchants: Merchant[] = [];
  const priceLevels: number[] = [];
  const names = new Set<string>();

  const uniqueName = (base: string): string => {
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base} ${n}`;
    names.add(name);
    return name;
  };
  const brand = (category: Category): string => {
    const head = rng.chance(0.5)
      ? rng.pick(NAME_ADJECTIVES)
      : `${rng.pick(BRAND_SYLLABLES)}${rng.pick(BRAND_SYLLABLES).toLowerCase()}`;
    return `${head} ${rng.pick(CATEGORY_NOUNS[category])}`;
  };
  const add = (m: Omit<Merchant, 'id'>, priceLevel: number): number => {
    const id = merchants.length + 1;
    merchants.push({ id, ...m });
    priceLevels.push(priceLevel);
    return id;
  };
  const pool = (ids: number[], segment: Exclude<Segment, 'mega'>): MerchantPool => {
    const [exponent, offset] = POPULARITY[segment];
    const weights = rng.shuffle(Array.from(zipfWeights(ids.length, exponent, offset)));
    return { ids: Int32Array.from(ids), table: new AliasTable(weights) };
  };

  const megaIds = MEGA_CHAINS.map((c) =>
    add(
      {
        name: uniqueName(c.name),
        category: c.category,
        segment: 'mega',
        city: -1,
        nb: -1,
        lat: NaN,
        lng: NaN,
      },
      1,
    ),
  );

  const chains = (
    count: number,
    mix: MixSampler,
    segment: 'national' | 'online',
    suffix: string,
  ): MerchantPool => {
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const category = mix.sample(rng);
      const name = uniqueName(`${brand(category)}${suffix}`);
      ids.push(add({ name, category, segment, city: -1, nb: -1, lat: NaN, lng: NaN }, rng.logNormal(1, 0.3)));
    }
    return pool(ids, segment);
  };
  const national = chains(opts.nationalChains, new MixSampler(NATIONAL_MIX), 'national', '');
  const online = chains(opts.onlineShops, new MixSampler(ONLINE_MIX), 'online', '.com');

  const cityMix = new MixSampler(CITY_MIX);
  const city = pop.cities.map((c) => {
    const count = Math.max(20, Math.round(c.residents / opts.residentsPerCityMerchant));
    const ids: number[] = [];
    for (let i = 0; i < count; i++) {
      const category = cityMix.sample(rng);
      // City merchants spread over about 20 km around the centre.
      const r = 0.18 * Math.sqrt(rng.float());
      const theta = 2 * Math.PI * rng.float();
      ids.push(
        add(
          {
            name: uniqueName(`${brand(category)} ${c.name}`),
            category,
            segment: 'city',
            city: c.index,
            nb: -1,
            lat: round6(c.lat + r * Math.sin(theta)),
            lng: round6(c.lng + (r * Math.cos(theta)) / Math.cos((c.lat * Math.PI) / 180)),
          },
          rng.logNormal(1, 0.35),
        ),
      );
    }
    return pool(ids, 'city');
  });

  const localMix = new MixSampler(LOCAL_MIX);
  const local = pop.neighbourhoods.map((nb) => {
    const cityName = (pop.cities[nb.city] as { name: string }).name;
    const ids: number[] = [];
    for (let i = 0; i < opts.localPerNeighbourhood; i++) {
      const category = localMix.sample(rng);
      // Local shops stand within about 1.5 km of the neighbourhood centre.
      const r = 0.0135 * Math.sqrt(rng.float());
      const theta = 2 * Math.PI * rng.float();
      ids.push(
        add(
          {
            name: uniqueName(`${brand(category)} ${nb.name} ${cityName}`),
            category,
            segment: 'local',
            city: nb.city,
            nb: nb.index,
            lat: round6(nb.lat + r * Math.sin(theta)),
            lng: round6(nb.lng + (r * Math.cos(theta)) / Math.cos((nb.lat * Math.PI) / 180)),
          },
          rng.logNormal(0.9, 0.3),
        ),
      );
    }
    return pool(ids, 'local');
  });

  const priceLevel = new Float32Array(merchants.length + 1);
  priceLevels.forEach((p, i) => (priceLevel[i + 1] = p));
  return {
    merchants,
    priceLevel,
    mega: { ids: megaIds, shares: MEGA_CHAINS.map((c) => c.share) },
    national,
    online,
    city,
    local,
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
