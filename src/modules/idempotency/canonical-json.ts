import { createHash } from 'node:crypto';

/**
 * SHA-256 of a request's identity: method, route and body. A key reused on another route is
 * therefore a mismatch too.
 *
 * `body` must be the value produced by the route's zod schema, not the raw JSON: strict zod
 * objects rebuild every object with its fields in schema order and refuse unknown fields, so
 * `JSON.stringify` of the validated body is canonical (key order, spacing and escapes of the sent
 * text do not change it) and costs one pass, where sorting keys recursively cost several times
 * more on a 5,000-item batch. Passing a raw object is safe but weaker: a reordered body would be
 * a 422 mismatch, never a false replay.
 */
export function requestFingerprint(method: string, route: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(`${method.toUpperCase()}\n${route}\n`)
    .update(JSON.stringify(body) ?? 'null')
    .digest();
}
