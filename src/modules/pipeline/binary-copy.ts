import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Rows for `COPY ... FROM STDIN WITH (FORMAT binary)`. The pipeline writes millions of floats per
 * run (every pool entry's score and components); as text each is a 17-digit decimal that Node
 * formats and Postgres parses again, which cost more than the rest of the write. In binary a
 * float4 is its 4 bytes: the stored value is the same float32 (`Math.fround` of the number).
 *
 * Format (PostgreSQL docs, "Binary Format" of COPY): a signature and two int32 words, then per
 * tuple an int16 field count and per field an int32 length and the value's bytes (network order),
 * then the int16 trailer -1. A one-dimensional array without nulls: ndim 1, flags 0, element type
 * oid, length, lower bound 1, then per element its length and bytes.
 */

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const OID = { int8: 20, int2: 21, int4: 23, float4: 700 } as const;
const TWO_32 = 2 ** 32;

export type BinaryField =
  | { type: 'int8'; value: number | string }
  | { type: 'int2'; value: number }
  | { type: 'int4'; value: number }
  | { type: 'int8[]'; values: ArrayLike<number | string> }
  | { type: 'int4[]'; values: ArrayLike<number> }
  | { type: 'float4[]'; values: ArrayLike<number> }
  | { type: 'int2[]'; values: ArrayLike<number> };

function fieldSize(f: BinaryField): number {
  switch (f.type) {
    case 'int8':
      return 4 + 8;
    case 'int2':
      return 4 + 2;
    case 'int4':
      return 4 + 4;
    case 'int8[]':
      return 4 + 20 + f.values.length * 12;
    case 'float4[]':
    case 'int4[]':
      return 4 + 20 + f.values.length * 8;
    case 'int2[]':
      return 4 + 20 + f.values.length * 6;
  }
}

/** An int8 from a number or a digit string; exact for the ids of this service (below 2^53). */
function writeInt8(buf: Buffer, at: number, v: number | string): number {
  const x = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(x)) throw new RangeError(`not an exact int8: ${String(v)}`);
  const hi = Math.floor(x / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(x - hi * TWO_32, at + 4);
  return at + 8;
}

function writeArrayHeader(buf: Buffer, at: number, bytes: number, oid: number, length: number): number {
  buf.writeInt32BE(bytes, at);
  buf.writeInt32BE(1, at + 4);
  buf.writeInt32BE(0, at + 8);
  buf.writeInt32BE(oid, at + 12);
  buf.writeInt32BE(length, at + 16);
  buf.writeInt32BE(1, at + 20);
  return at + 24;
}

/** One tuple in COPY binary format. */
export function encodeTuple(fields: readonly BinaryField[]): Buffer {
  let size = 2;
  for (const f of fields) size += fieldSize(f);
  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt16BE(fields.length, 0);
  for (const f of fields) {
    const bytes = fieldSize(f) - 4;
    switch (f.type) {
      case 'int8':
        at = buf.writeInt32BE(8, at);
        at = writeInt8(buf, at, f.value);
        break;
      case 'int2':
        at = buf.writeInt32BE(2, at);
        at = buf.writeInt16BE(f.value, at);
        break;
      case 'int4':
        at = buf.writeInt32BE(4, at);
        at = buf.writeInt32BE(f.value, at);
        break;
      case 'int4[]':
        at = writeArrayHeader(buf, at, bytes, OID.int4, f.values.length);
        for (let i = 0; i < f.values.length; i++) {
          at = buf.writeInt32BE(4, at);
          at = buf.writeInt32BE(f.values[i]!, at);
        }
        break;
      case 'int8[]':
        at = writeArrayHeader(buf, at, bytes, OID.int8, f.values.length);
        for (let i = 0; i < f.values.length; i++) {
          at = buf.writeInt32BE(8, at);
          at = writeInt8(buf, at, f.values[i]!);
        }
        break;
      case 'float4[]':
        at = writeArrayHeader(buf, at, bytes, OID.float4, f.values.length);
        for (let i = 0; i < f.values.length; i++) {
          at = buf.writeInt32BE(4, at);
          at = buf.writeFloatBE(f.values[i]!, at);
        }
        break;
      case 'int2[]':
        at = writeArrayHeader(buf, at, bytes, OID.int2, f.values.length);
        for (let i = 0; i < f.values.length; i++) {
          at = buf.writeInt32BE(2, at);
          at = buf.writeInt16BE(f.values[i]!, at);
        }
        break;
    }
  }
  return buf;
}

/** Streams tuples into `COPY target FROM STDIN WITH (FORMAT binary)`, in chunks of about 1 MB. */
export async function copyInBinary(
  client: pg.PoolClient,
  target: string,
  tuples: Iterable<readonly BinaryField[]>,
): Promise<void> {
  const CHUNK = 1 << 20;
  function* chunks(): Generator<Buffer> {
    const header = Buffer.alloc(SIGNATURE.length + 8);
    SIGNATURE.copy(header);
    let parts: Buffer[] = [header];
    let size = header.length;
    for (const t of tuples) {
      const b = encodeTuple(t);
      parts.push(b);
      size += b.length;
      if (size >= CHUNK) {
        yield Buffer.concat(parts, size);
        parts = [];
        size = 0;
      }
    }
    const trailer = Buffer.alloc(2);
    trailer.writeInt16BE(-1);
    parts.push(trailer);
    yield Buffer.concat(parts, size + 2);
  }
  await pipeline(
    Readable.from(chunks(), { objectMode: false }),
    client.query(copyFrom(`COPY ${target} FROM STDIN WITH (FORMAT binary)`)),
  );
}
