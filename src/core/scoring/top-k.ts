/**
 * A bounded selection of the `capacity` best (id, score) entries under the total order
 * "higher score first, then smaller id" (a min-heap whose root is the worst kept entry).
 * Invariant: after any sequence of pushes it holds exactly the best `min(capacity, pushed)`
 * distinct entries of that order; `worstScore()` is a lower bound on the capacity-th best score
 * of everything pushed (−∞ until full).
 */
export class TopK {
  readonly ids: Int32Array;
  readonly scores: Float64Array;
  readonly extra: Int32Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.ids = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
    this.extra = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  /** Score of the worst kept entry when full, else −∞. */
  worstScore(): number {
    return this.size === this.capacity && this.capacity > 0 ? this.scores[0]! : -Infinity;
  }

  /** Offers an entry; returns whether it was kept. */
  push(id: number, score: number, extra: number): boolean {
    const { ids, scores } = this;
    if (this.size < this.capacity) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(score, id, scores[p]!, ids[p]!)) break;
        this.move(p, i);
        i = p;
      }
      this.set(i, id, score, extra);
      return true;
    }
    if (this.capacity === 0 || !worse(scores[0]!, ids[0]!, score, id)) return false;
    this.siftDownFromRoot(id, score, extra);
    return true;
  }

  /** Writes the kept entries best first into the arrays at `offset`; returns the count. */
  drainSorted(
    outIds: Int32Array,
    outScores: Float64Array,
    outExtra: Uint16Array | Int32Array,
    offset: number,
  ): number {
    const n = this.size;
    for (let k = n - 1; k >= 0; k--) {
      outIds[offset + k] = this.ids[0]!;
      outScores[offset + k] = this.scores[0]!;
      outExtra[offset + k] = this.extra[0]!;
      const last = --this.size;
      if (last > 0) this.siftDownFromRoot(this.ids[last]!, this.scores[last]!, this.extra[last]!);
    }
    return n;
  }

  private siftDownFromRoot(id: number, score: number, extra: number): void {
    const { ids, scores } = this;
    const n = this.size;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && worse(scores[r]!, ids[r]!, scores[l]!, ids[l]!) ? r : l;
      if (!worse(scores[c]!, ids[c]!, score, id)) break;
      this.move(c, i);
      i = c;
    }
    this.set(i, id, score, extra);
  }

  private move(from: number, to: number): void {
    this.ids[to] = this.ids[from]!;
    this.scores[to] = this.scores[from]!;
    this.extra[to] = this.extra[from]!;
  }

  private set(i: number, id: number, score: number, extra: number): void {
    this.ids[i] = id;
    this.scores[i] = score;
    this.extra[i] = extra;
  }
}

/** Whether (sa, ia) ranks after (sb, ib): lower score, or equal score and larger id. */
export function worse(sa: number, ia: number, sb: number, ib: number): boolean {
  return sa < sb || (sa === sb && ia > ib);
}
