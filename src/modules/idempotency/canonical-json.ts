import { createHash } from 'node:crypto';

/**
 * A canonical JSON text of a parsed JSON value: object keys sorted by code unit, no whitespace,
 * so that two bodies that differ only in key order or spacing hash the same. Arrays keep their
 * order (it is meaningful: rejections name indices).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/**
 * SHA-256 of the request's identity: method, route and canonical body. A key reused on another
 * route is therefore a mismatch too.
 */
export function requestFingerprint(method: string, route: string, body: unknown): Buffer {
  return createHash('sha256')
    .update(method.toUpperCase())
    .update('\n')
    .update(route)
    .update('\n')
    .update(canonicalJson(body))
    .digest();
}
