/** Any typed array the scoring code hands to worker threads. */
export type SharableArray =
  Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;

/**
 * The array itself when it already lives in a SharedArrayBuffer, else a copy in one: threads then
 * read the same memory instead of each receiving a structured-clone copy.
 */
export function shareArray<T extends SharableArray>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const Ctor = a.constructor as new (b: SharedArrayBuffer) => T;
  const copy = new Ctor(new SharedArrayBuffer(a.byteLength));
  (copy as { set(x: ArrayLike<number>): void }).set(a);
  return copy;
}
