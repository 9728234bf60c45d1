import { fmix32, fnv1a32 } from '../shared/hash.ts';
import { GENDERS } from '../shared/gender.ts';
import type { PairingUser } from './types.ts';

const FLAG_VERIFIED = 1;
const FLAG_ONLY_VERIFIED = 2;
const FLAG_PAIRABLE = 4;

/** The largest age the compact form holds; profiles allow ages up to 120. */
export const MAX_AGE = 255;

/**
 * The users' attributes as typed arrays, indexed like the input, so that checking ten million
 * candidate entries reads a few small arrays instead of chasing objects. `idRank[u]` is the
 * position of u's id among all ids in code-unit order, and `dayHash[u] = fnv1a32(date + "|" + id)`.
 */
export interface CompiledUsers {
  readonly n: number;
  readonly city: Int32Array;
  readonly genderBit: Uint8Array;
  readonly seekingMask: Uint8Array;
  readonly age: Uint8Array;
  readonly ageMin: Uint8Array;
  readonly ageMax: Uint8Array;
  readonly flags: Uint8Array;
  readonly idRank: Int32Array;
  readonly dayHash: Uint32Array;
}

function genderBit(gender: string, where: string): number {
  const i = (GENDERS as readonly string[]).indexOf(gender);
  if (i < 0) throw new RangeError(`${where}: unknown gender ${JSON.stringify(gender)}`);
  return 1 << i;
}

function checkAge(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_AGE) {
    throw new RangeError(`${where}: ${String(value)} is not an integer age in [0, ${String(MAX_AGE)}]`);
  }
  return value;
}

/**
 * Compiles the users of one run. Throws a RangeError on a duplicate id, an unknown gender or an age
 * that is not an integer in [0, 255].
 */
export function compileUsers(users: readonly PairingUser[], date: string): CompiledUsers {
  const n = users.length;
  const compiled = {
    n,
    city: new Int32Array(n),
    genderBit: new Uint8Array(n),
    seekingMask: new Uint8Array(n),
    age: new Uint8Array(n),
    ageMin: new Uint8Array(n),
    ageMax: new Uint8Array(n),
    flags: new Uint8Array(n),
    idRank: new Int32Array(n),
    dayHash: new Uint32Array(n),
  };
  const cities = new Map<string, number>();
  users.forEach((user, u) => {
    const where = `users[${String(u)}]`;
    let city = cities.get(user.city);
    if (city === undefined) {
      city = cities.size;
      cities.set(user.city, city);
    }
    compiled.city[u] = city;
    compiled.genderBit[u] = genderBit(user.gender, `${where}.gender`);
    let mask = 0;
    for (const g of user.seeking) mask |= genderBit(g, `${where}.seeking`);
    compiled.seekingMask[u] = mask;
    compiled.age[u] = checkAge(user.age, `${where}.age`);
    compiled.ageMin[u] = checkAge(user.ageMin, `${where}.ageMin`);
    compiled.ageMax[u] = checkAge(user.ageMax, `${where}.ageMax`);
    const pairable = user.consentTransactions && user.consentMatching && !user.suspended;
    compiled.flags[u] =
      (user.verified ? FLAG_VERIFIED : 0) |
      (user.onlyVerified ? FLAG_ONLY_VERIFIED : 0) |
      (pairable ? FLAG_PAIRABLE : 0);
    compiled.dayHash[u] = userDayHash(date, user.id);
  });
  const byId = users.map((user, u) => ({ id: user.id, u }));
  byId.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  byId.forEach(({ id, u }, rank) => {
    if (rank > 0 && byId[rank - 1]?.id === id)
      throw new RangeError(`duplicate user id ${JSON.stringify(id)}`);
    compiled.idRank[u] = rank;
  });
  return compiled;
}

/** Whether user u may be paired at all: both consents and not suspended. */
export function isPairable(c: CompiledUsers, u: number): boolean {
  return ((c.flags[u] as number) & FLAG_PAIRABLE) !== 0;
}

/**
 * The attribute rules of `ineligibilityReason` on the compiled form: both pairable, same city,
 * genders sought both ways, ages within both ranges, `onlyVerified` both ways. (Blocks, the
 * cooldown and the shared-merchant minimum are facts of the pair, checked by the caller.)
 * A property test holds it equal to `ineligibilityReason` on random populations.
 */
export function compatible(c: CompiledUsers, x: number, y: number): boolean {
  const fx = c.flags[x] as number;
  const fy = c.flags[y] as number;
  if ((fx & fy & FLAG_PAIRABLE) === 0) return false;
  if (c.city[x] !== c.city[y]) return false;
  if (((c.seekingMask[x] as number) & (c.genderBit[y] as number)) === 0) return false;
  if (((c.seekingMask[y] as number) & (c.genderBit[x] as number)) === 0) return false;
  const ageX = c.age[x] as number;
  const ageY = c.age[y] as number;
  if (ageY < (c.ageMin[x] as number) || ageY > (c.ageMax[x] as number)) return false;
  if (ageX < (c.ageMin[y] as number) || ageX > (c.ageMax[y] as number)) return false;
  if ((fx & FLAG_ONLY_VERIFIED) !== 0 && (fy & FLAG_VERIFIED) === 0) return false;
  if ((fy & FLAG_ONLY_VERIFIED) !== 0 && (fx & FLAG_VERIFIED) === 0) return false;
  return x !== y;
}

/** `fnv1a32(date + "|" + id)`: a user's hash for one date, the input of {@link pairTieHash}. */
export function userDayHash(date: string, id: string): number {
  return fnv1a32(`${date}|${id}`);
}

/**
 * The tie-break hash of a pair on a date, from the two users' {@link userDayHash}es ordered by id
 * (code-unit order): `fmix32(imul(hashOfSmallerId, 0x9e3779b1) XOR hashOfLargerId)`. It depends on
 * the date and the two ids, not on their order or their indices, and changes every day, so no user
 * wins every tie by the look of their id.
 */
export function pairTieHash(hashOfSmallerId: number, hashOfLargerId: number): number {
  return fmix32((Math.imul(hashOfSmallerId, 0x9e3779b1) ^ hashOfLargerId) >>> 0);
}
