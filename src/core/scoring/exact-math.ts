/**
 * Correctly rounded natural logarithm, so that weights agree bit for bit with a reference
 * computed with a correctly rounded libm (numpy on glibc): V8's `Math.log` is off by one ulp for
 * a few percent of arguments, enough to reorder exactly tied candidates.
 *
 * Method: `ln(x) = e·ln 2 + 2·atanh((m − 1)/(m + 1))` with `x = m·2^e`, `m ∈ [√½, √2)`, evaluated
 * in double-double arithmetic (≈ 106 bits), then rounded once to the nearest double. Callers cache
 * results (arguments are few distinct values: document frequencies, visit counts).
 */

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp split

/** A double-double value `hi + lo`, `|lo| ≤ ulp(hi)/2`. */
interface DD {
  hi: number;
  lo: number;
}

function twoSum(a: number, b: number): DD {
  const s = a + b;
  const bb = s - a;
  return { hi: s, lo: a - (s - bb) + (b - bb) };
}

function twoProd(a: number, b: number): DD {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return { hi: p, lo: ah * bh - p + ah * bl + al * bh + al * bl };
}

function ddAdd(x: DD, y: DD): DD {
  const s = twoSum(x.hi, y.hi);
  const t = twoSum(x.lo, y.lo);
  let hi = s.hi;
  let lo = s.lo + t.hi;
  let n = twoSum(hi, lo);
  hi = n.hi;
  lo = n.lo + t.lo;
  n = twoSum(hi, lo);
  return n;
}

function ddMul(x: DD, y: DD): DD {
  const p = twoProd(x.hi, y.hi);
  const lo = p.lo + (x.hi * y.lo + x.lo * y.hi);
  return twoSum(p.hi, lo);
}

function ddDiv(x: DD, y: DD): DD {
  const q1 = x.hi / y.hi;
  let r = ddAdd(x, ddMul({ hi: -q1, lo: 0 }, y));
  const q2 = r.hi / y.hi;
  r = ddAdd(r, ddMul({ hi: -q2, lo: 0 }, y));
  const q3 = r.hi / y.hi;
  return ddAdd(twoSum(q1, q2), { hi: q3, lo: 0 });
}

const LN2: DD = { hi: 0.6931471805599453, lo: 2.3190468138462996e-17 };

/**
 * `ln(x)` correctly rounded to the nearest double, for finite `x > 0`; `ln(1) = 0`.
 * Non-positive or non-finite arguments fall back to `Math.log` (−∞, NaN, ∞).
 */
export function lnExact(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x);
  if (x === 1) return 0;
  // x = m·2^e with m in [√½, √2); powers of two are exact in doubles
  let e = Math.floor(Math.log2(x));
  let m = x / 2 ** e;
  if (m < Math.SQRT1_2) {
    m *= 2;
    e -= 1;
  } else if (m >= Math.SQRT2) {
    m /= 2;
    e += 1;
  }
  // s = (m − 1)/(m + 1); m − 1 and m + 1 computed exactly as double-doubles
  const s = ddDiv(twoSum(m, -1), twoSum(m, 1));
  const s2 = ddMul(s, s);
  let term = s;
  let sum: DD = s;
  for (let k = 3; k < 200; k += 2) {
    term = ddMul(term, s2);
    const add = ddDiv(term, { hi: k, lo: 0 });
    sum = ddAdd(sum, add);
    if (Math.abs(add.hi) < 1e-36 * Math.abs(sum.hi)) break;
  }
  let r = ddMul(sum, { hi: 2, lo: 0 });
  r = ddAdd(r, ddMul(LN2, { hi: e, lo: 0 }));
  return r.hi + r.lo;
}

/** `ln(1 + n)` correctly rounded when `1 + n` is exact (integers below 2^53), else `Math.log1p(n)`. */
export function log1pExact(n: number): number {
  const a = 1 + n;
  return a - 1 === n ? lnExact(a) : Math.log1p(n);
}
