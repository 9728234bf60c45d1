/**
 * A compact pair-eligibility filter applied while candidates are generated: user u may be paired
 * with v iff `mayPair[group[u] · groupCount + group[v]] !== 0`. Groups are whatever the caller
 * needs (for example city × gender × seeking); the matrix is G × G, row-major.
 */
export interface Eligibility {
  group: Int32Array;
  groupCount: number;
  mayPair: Uint8Array;
}

/** Checks the shape of an eligibility filter against a population of `userCount` users. */
export function assertEligibility(e: Eligibility, userCount: number): void {
  if (e.group.length !== userCount) throw new RangeError('eligibility.group must have one entry per user');
  if (e.mayPair.length !== e.groupCount * e.groupCount)
    throw new RangeError('eligibility.mayPair must be G × G');
  for (const g of e.group) {
    if (!(g >= 0 && g < e.groupCount)) throw new RangeError(`eligibility group ${String(g)} out of range`);
  }
}

/** `mayPair(group[u], group[v])`; every pair is admissible without a filter. */
export function admissible(e: Eligibility | undefined, u: number, v: number): boolean {
  return e === undefined || e.mayPair[e.group[u]! * e.groupCount + e.group[v]!] !== 0;
}
