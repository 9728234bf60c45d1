import type { EdgeSet } from './edges.ts';

/** A gain smaller than this is rounding noise, not an improvement (scores are at most 1). */
const MIN_GAIN = 1e-12;

/**
 * A matching under construction over n users, on edges in canonical order (edge id = rank):
 * `mateEdge[u]` is the edge matching u, or −1.
 */
export interface Matching {
  readonly mateEdge: Int32Array;
}

/** An empty matching over n users. */
export function emptyMatching(n: number): Matching {
  return { mateEdge: new Int32Array(n).fill(-1) };
}

/**
 * Greedy fill: walks the edges best first and matches every edge whose two ends are both free.
 * From an empty matching this is the classic greedy (a ½-approximation of the maximum-weight
 * matching); from any matching it leaves a maximal one (no edge with two free ends). O(E).
 * Returns the number of edges added.
 */
export function greedyFill(edges: EdgeSet, matching: Matching): number {
  const { lo, hi, count } = edges;
  const { mateEdge } = matching;
  let added = 0;
  for (let e = 0; e < count; e += 1) {
    const a = lo[e] as number;
    const b = hi[e] as number;
    if (mateEdge[a] === -1 && mateEdge[b] === -1) {
      mateEdge[a] = e;
      mateEdge[b] = e;
      added += 1;
    }
  }
  return added;
}

/**
 * Adjacency lists in CSR form: user u's edges are `edge[start[u] .. start[u + 1])` to the users
 * `neighbour[…]`, best first (filled in rank order). Holding the neighbour beside the edge keeps
 * the scans sequential.
 */
export interface Adjacency {
  readonly start: Int32Array;
  readonly edge: Int32Array;
  readonly neighbour: Int32Array;
}

/** Builds {@link Adjacency} in O(n + E). */
export function buildAdjacency(edges: EdgeSet, n: number): Adjacency {
  const { lo, hi, count } = edges;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < count; e += 1) {
    const a = (lo[e] as number) + 1;
    const b = (hi[e] as number) + 1;
    start[a] = (start[a] as number) + 1;
    start[b] = (start[b] as number) + 1;
  }
  for (let u = 0; u < n; u += 1) start[u + 1] = (start[u + 1] as number) + (start[u] as number);
  const fill = start.slice(0, n);
  const edge = new Int32Array(2 * count);
  const neighbour = new Int32Array(2 * count);
  for (let e = 0; e < count; e += 1) {
    const a = lo[e] as number;
    const b = hi[e] as number;
    const atA = fill[a] as number;
    fill[a] = atA + 1;
    edge[atA] = e;
    neighbour[atA] = b;
    const atB = fill[b] as number;
    fill[b] = atB + 1;
    edge[atB] = e;
    neighbour[atB] = a;
  }
  return { start, edge, neighbour };
}

/** The two best edges (lowest ranks) from u to free users, written to `out[0..1]` (−1 if none). */
function bestFreeEdges(u: number, adjacency: Adjacency, mateEdge: Int32Array, out: Int32Array): void {
  out[0] = -1;
  out[1] = -1;
  const end = adjacency.start[u + 1] as number;
  for (let k = adjacency.start[u] as number; k < end; k += 1) {
    if (mateEdge[adjacency.neighbour[k] as number] !== -1) continue;
    if (out[0] === -1) {
      out[0] = adjacency.edge[k] as number;
    } else {
      out[1] = adjacency.edge[k] as number;
      return;
    }
  }
}

/**
 * Local improvement by short augmenting paths. For each matched edge (a, b), best first, with
 * free neighbours u of a and v of b, the moves are:
 * - the length-3 augmenting path u–a=b–v: replace (a, b) by (a, u) and (b, v) when
 *   w(a,u) + w(b,v) > w(a,b) (u ≠ v; the best two free neighbours of each side suffice);
 * - the swap u–a=b: replace (a, b) by (a, u) when w(a,u) > w(a,b), freeing b (likewise for b).
 * The move of largest gain (ties: the augmenting path first, then a's swap) is applied when the gain
 * exceeds 1e-12. Every move strictly raises the total, so the process cannot cycle. Each pass ends
 * with {@link greedyFill}, so the matching stays maximal; passes repeat until one applies no move,
 * at most `maxPasses` times. Each pass is O(n + E).
 * Returns the number of moves applied and of passes run.
 */
export function improveMatching(
  edges: EdgeSet,
  adjacency: Adjacency,
  matching: Matching,
  maxPasses: number,
  idRank: Int32Array,
): { moves: number; passes: number } {
  const { score, lo, hi, count } = edges;
  const { mateEdge } = matching;
  const freeOfA = new Int32Array(2);
  const freeOfB = new Int32Array(2);
  const end = (e: number, u: number): number => (lo[e] as number) + (hi[e] as number) - u;
  let moves = 0;
  let passes = 0;
  while (passes < maxPasses) {
    passes += 1;
    let movesThisPass = 0;
    for (let e = 0; e < count; e += 1) {
      if (mateEdge[lo[e] as number] !== e) continue;
      // Sides by id, not by index: on equal gains the first move considered wins, and that must
      // not depend on the order the users came in.
      const loFirst = (idRank[lo[e] as number] as number) < (idRank[hi[e] as number] as number);
      const a = (loFirst ? lo[e] : hi[e]) as number;
      const b = (loFirst ? hi[e] : lo[e]) as number;
      bestFreeEdges(a, adjacency, mateEdge, freeOfA);
      bestFreeEdges(b, adjacency, mateEdge, freeOfB);
      const a1 = freeOfA[0] as number;
      const a2 = freeOfA[1] as number;
      const b1 = freeOfB[0] as number;
      const b2 = freeOfB[1] as number;
      if (a1 === -1 && b1 === -1) continue;
      const w = score[e] as number;

      let bestGain = MIN_GAIN;
      let moveA = -1;
      let moveB = -1;
      const consider = (ea: number, eb: number): void => {
        const gain = (ea === -1 ? 0 : (score[ea] as number)) + (eb === -1 ? 0 : (score[eb] as number)) - w;
        if (gain > bestGain) {
          bestGain = gain;
          moveA = ea;
          moveB = eb;
        }
      };
      if (a1 !== -1 && b1 !== -1) {
        if (end(a1, a) !== end(b1, b)) {
          consider(a1, b1);
        } else {
          if (b2 !== -1) consider(a1, b2);
          if (a2 !== -1) consider(a2, b1);
        }
      }
      if (a1 !== -1) consider(a1, -1);
      if (b1 !== -1) consider(-1, b1);
      if (moveA === -1 && moveB === -1) continue;

      mateEdge[a] = -1;
      mateEdge[b] = -1;
      if (moveA !== -1) {
        mateEdge[a] = moveA;
        mateEdge[end(moveA, a)] = moveA;
      }
      if (moveB !== -1) {
        mateEdge[b] = moveB;
        mateEdge[end(moveB, b)] = moveB;
      }
      movesThisPass += 1;
    }
    greedyFill(edges, matching);
    moves += movesThisPass;
    if (movesThisPass === 0) break;
  }
  return { moves, passes };
}
