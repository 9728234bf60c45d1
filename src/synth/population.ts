/**
 * Where the synthetic users live and who they are: cities with Zipf sizes, neighbourhoods of a
 * few thousand residents, user profiles, and small groups of friends inside a neighbourhood.
 */
import {
  CITY_SEEDS,
  FAMILY_NAMES,
  GIVEN_NAMES,
  NEIGHBOURHOOD_WORDS,
  TIMEZONE,
  type CitySeed,
} from './catalog.ts';
import { AliasTable, Rng, zipfWeights } from './random.ts';

/** Stream labels: each phase of the generator draws from its own seeded stream. */
export const STREAM = {
  cities: 1,
  placement: 2,
  groups: 3,
  profile: 4,
  merchants: 5,
  userVisits: 6,
  groupPlan: 7,
  transactions: 8,
  ties: 9,
} as const;

export interface City extends CitySeed {
  index: number;
  /** First neighbourhood index and number of neighbourhoods of the city. */
  nbStart: number;
  nbCount: number;
  residents: number;
}

export interface Neighbourhood {
  index: number;
  city: number;
  name: string;
  lat: number;
  lng: number;
  residents: number;
}

export interface Population {
  users: number;
  cities: City[];
  neighbourhoods: Neighbourhood[];
  /** Indexed by user id (1..users); slot 0 unused. */
  userCity: Uint16Array;
  userNb: Int32Array;
  /** Group index of each user, or -1. */
  userGroup: Int32Array;
  /** Members of group g are groupMembers[groupStart[g] .. groupStart[g+1]). */
  groupStart: Int32Array;
  groupMembers: Int32Array;
  groupNb: Int32Array;
  /** Residents of neighbourhood k are nbResidents[nbOffset[k] .. nbOffset[k+1]). */
  nbOffset: Int32Array;
  nbResidents: Int32Array;
}

export interface PopulationOptions {
  users: number;
  seed: number;
  cities: number;
  /** Mean residents per neighbourhood. */
  neighbourhoodSize: number;
  /** Share of users who belong to a planted friend group. */
  groupShare: number;
}

/** Zipf exponent of city sizes. */
const CITY_ZIPF = 1;

export function buildPopulation(opts: PopulationOptions): Population {
  const { users, seed } = opts;
  const nCities = Math.max(1, Math.min(opts.cities, CITY_SEEDS.length));
  const rng = new Rng(seed, STREAM.cities);
  const cityWeights = zipfWeights(nCities, CITY_ZIPF);
  const cityTable = new AliasTable(cityWeights);
  const weightSum = cityWeights.reduce((a, b) => a + b, 0);

  const cities: City[] = [];
  const neighbourhoods: Neighbourhood[] = [];
  const nbTables: AliasTable[] = [];
  for (let c = 0; c < nCities; c++) {
    const citySeed = CITY_SEEDS[c] as CitySeed;
    const expected = (users * (cityWeights[c] as number)) / weightSum;
    const nbCount = Math.max(1, Math.round(expected / opts.neighbourhoodSize));
    const city: City = { ...citySeed, index: c, nbStart: neighbourhoods.length, nbCount, residents: 0 };
    cities.push(city);
    const weights: number[] = [];
    for (let k = 0; k < nbCount; k++) {
      const word = NEIGHBOURHOOD_WORDS[k % NEIGHBOURHOOD_WORDS.length] as string;
      const round = Math.floor(k / NEIGHBOURHOOD_WORDS.length);
      const name = round === 0 ? word : `${word} ${round + 1}`;
      // Neighbourhood centres lie within about 15 km of the city centre.
      const r = 0.135 * Math.sqrt(rng.float());
      const theta = 2 * Math.PI * rng.float();
      neighbourhoods.push({
        index: neighbourhoods.length,
        city: c,
        name,
        lat: round6(city.lat + r * Math.sin(theta)),
        lng: round6(city.lng + (r * Math.cos(theta)) / Math.cos((city.lat * Math.PI) / 180)),
        residents: 0,
      });
      weights.push(Math.exp(0.3 * rng.normal()));
    }
    nbTables.push(new AliasTable(weights));
  }

  const userCity = new Uint16Array(users + 1);
  const userNb = new Int32Array(users + 1);
  const place = new Rng(seed, STREAM.placement);
  for (let u = 1; u <= users; u++) {
    const c = cityTable.sample(place);
    const city = cities[c] as City;
    const nb = city.nbStart + (nbTables[c] as AliasTable).sample(place);
    userCity[u] = c;
    userNb[u] = nb;
    city.residents++;
    (neighbourhoods[nb] as Neighbourhood).residents++;
  }

  return { users, cities, neighbourhoods, userCity, userNb, ...plantGroups(opts, neighbourhoods, userNb) };
}

/** Friend groups of 2–4 residents of one neighbourhood. */
function plantGroups(
  opts: PopulationOptions,
  neighbourhoods: readonly Neighbourhood[],
  userNb: Int32Array,
): Pick<Population, 'userGroup' | 'groupStart' | 'groupMembers' | 'groupNb' | 'nbOffset' | 'nbResidents'> {
  const { users, seed } = opts;
  // Residents of each neighbourhood, contiguous (counting sort by neighbourhood).
  const offset = new Int32Array(neighbourhoods.length + 1);
  for (let u = 1; u <= users; u++)
    offset[(userNb[u] as number) + 1] = (offset[(userNb[u] as number) + 1] as number) + 1;
  for (let k = 0; k < neighbourhoods.length; k++)
    offset[k + 1] = (offset[k + 1] as number) + (offset[k] as number);
  const residents = new Int32Array(users);
  const fill = offset.slice(0, neighbourhoods.length);
  for (let u = 1; u <= users; u++) {
    const nb = userNb[u] as number;
    residents[fill[nb] as number] = u;
    fill[nb] = (fill[nb] as number) + 1;
  }

  const rng = new Rng(seed, STREAM.groups);
  const userGroup = new Int32Array(users + 1).fill(-1);
  const groupStart: number[] = [0];
  const groupMembers: number[] = [];
  const groupNb: number[] = [];
  for (let nb = 0; nb < neighbourhoods.length; nb++) {
    const list = Array.from(residents.subarray(offset[nb], offset[nb + 1]));
    rng.shuffle(list);
    const quota = Math.floor(list.length * opts.groupShare);
    let i = 0;
    while (i < quota) {
      const x = rng.float();
      const size = x < 0.6 ? 2 : x < 0.85 ? 3 : 4;
      if (i + size > list.length) break;
      const g = groupNb.length;
      for (let k = 0; k < size; k++) {
        const u = list[i + k] as number;
        groupMembers.push(u);
        userGroup[u] = g;
      }
      groupNb.push(nb);
      groupStart.push(groupMembers.length);
      i += size;
    }
  }
  return {
    userGroup,
    groupStart: Int32Array.from(groupStart),
    groupMembers: Int32Array.from(groupMembers),
    groupNb: Int32Array.from(groupNb),
    nbOffset: offset,
    nbResidents: residents,
  };
}

export interface Profile {
  userId: number;
  displayName: string;
  birthYear: number;
  gender: Gender;
  seeking: Gender[];
  ageMin: number;
  ageMax: number;
  city: string;
  timezone: string;
  contactHandle: string;
  onlyVerified: boolean;
  allowGuessGame: boolean;
}

export type Gender = 'woman' | 'man' | 'nonbinary';

/** Seeking mixes by own gender, as cumulative shares (orientation surveys, rounded). */
const SEEKING: Record<Gender, readonly [number, Gender[]][]> = {
  woman: [
    [0.8, ['man']],
    [0.87, ['woman']],
    [0.95, ['woman', 'man']],
    [0.99, ['woman', 'man', 'nonbinary']],
    [1, ['woman', 'nonbinary']],
  ],
  man: [
    [0.87, ['woman']],
    [0.93, ['man']],
    [0.97, ['woman', 'man']],
    [1, ['woman', 'man', 'nonbinary']],
  ],
  nonbinary: [
    [0.35, ['woman', 'man', 'nonbinary']],
    [0.5, ['nonbinary']],
    [0.65, ['woman']],
    [0.8, ['man']],
    [0.9, ['woman', 'nonbinary']],
    [1, ['man', 'nonbinary']],
  ],
};

const MIN_AGE = 18;
const MAX_AGE = 65;

/** The profile of one user: a pure function of (seed, user id, home city, reference year). */
export function profileFor(seed: number, userId: number, city: string, endYear: number): Profile {
  const rng = new Rng(seed, STREAM.profile, userId);
  const g = rng.float();
  const gender: Gender = g < 0.485 ? 'woman' : g < 0.97 ? 'man' : 'nonbinary';
  const s = rng.float();
  const seeking = (SEEKING[gender].find(([upTo]) => s < upTo) ?? SEEKING[gender][0])?.[1] ?? ['woman'];
  // Ages skew young (users of dating products). The birthday may still be ahead in the reference
  // year, so the true age is `age` or `age + 1`: both stay within MIN_AGE..MAX_AGE.
  const age = MIN_AGE + Math.floor((MAX_AGE - MIN_AGE) * Math.pow(rng.float(), 1.6));
  const ageMin = Math.max(MIN_AGE, age - rng.range(2, 3 + Math.floor(age / 8)));
  const ageMax = Math.min(MAX_AGE + 10, age + rng.range(2, 3 + Math.floor(age / 6)));
  const given = rng.pick(GIVEN_NAMES);
  const family = rng.pick(FAMILY_NAMES);
  const second = rng.chance(0.5) ? rng.pick(GIVEN_NAMES).toLowerCase() : '';
  return {
    userId,
    displayName: `${given}${second} ${family.charAt(0)}.`,
    birthYear: endYear - age - 1,
    gender,
    seeking: [...seeking],
    ageMin,
    ageMax,
    city,
    timezone: TIMEZONE,
    contactHandle: `wx_${family.toLowerCase()}${given.toLowerCase()}_${userId.toString(36)}`,
    onlyVerified: rng.chance(0.15),
    allowGuessGame: rng.chance(0.8),
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
