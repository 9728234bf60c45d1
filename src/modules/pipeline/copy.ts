import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

/**
 * COPY helpers: bulk reads and writes of the pipeline move arrays of numbers, for which COPY's
 * text format is several times faster than row-by-row results.
 */

/** Streams `COPY (query) TO STDOUT` and hands each line (without its newline) to `onLine`. */
export async function copyOutLines(
  client: pg.PoolClient,
  query: string,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = '';
  const sink = new Writable({
    decodeStrings: false,
    write(chunk: Buffer, _encoding, done) {
      const text = rest + chunk.toString('utf8');
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl < 0) break;
        onLine(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      done();
    },
  });
  await pipeCopyOut(client, `COPY (${query}) TO STDOUT`, sink);
  if (rest.length > 0) onLine(rest);
}

/**
 * Runs `copySql` (a `COPY … TO STDOUT`) and streams its output into `sink`. A server restart can
 * end the connection without the COPY stream ever settling (the job would hang with its lock
 * renewed): the client's end or error fails the stream instead.
 */
export async function pipeCopyOut(client: pg.PoolClient, copySql: string, sink: Writable): Promise<void> {
  const stream = client.query(copyTo(copySql));
  const gone = (error?: Error): void => {
    stream.destroy(error ?? new Error('connection ended during COPY'));
  };
  client.once('end', gone);
  client.once('error', gone);
  try {
    await pipeline(stream, sink);
  } finally {
    client.off('end', gone);
    client.off('error', gone);
  }
}

/** Streams lines (each ending with a newline) into `COPY table (columns) FROM STDIN`. */
export async function copyInLines(
  client: pg.PoolClient,
  target: string,
  lines: Iterable<string>,
): Promise<void> {
  const CHUNK = 1 << 20;
  function* chunks(): Generator<string> {
    let buffer = '';
    for (const line of lines) {
      buffer += line;
      if (buffer.length >= CHUNK) {
        yield buffer;
        buffer = '';
      }
    }
    if (buffer.length > 0) yield buffer;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
}

/**
 * Parses a Postgres text-format array of integers (`{1,-2,3}`, `{}`) without cutting it into
 * substrings: the snapshot of a run holds tens of millions of them (merchant indices, visits,
 * visit minutes), and `split` + `Number` cost most of its load. Exact below 2^53.
 */
export function parseIntegerArray(text: string): number[] {
  const out: number[] = [];
  let value = 0;
  let negative = false;
  let digits = false;
  const end = text.length - 1;
  for (let i = 1; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 44) {
      out.push(negative ? -value : value);
      value = 0;
      negative = false;
      digits = false;
    } else if (c === 45) negative = true;
    else {
      value = value * 10 + (c - 48);
      digits = true;
    }
  }
  if (digits) out.push(negative ? -value : value);
  return out;
}

/** Parses a Postgres text-format array of plain words (no quoting needed: `{woman,man}`). */
export function parseWordArray(text: string): string[] {
  if (text.length <= 2) return [];
  return text.slice(1, -1).split(',');
}

/** Formats numbers as a Postgres array literal for COPY's text format. */
export function formatArray(values: ArrayLike<number | string>): string {
  // The engine's join converts and concatenates natively: several times faster than `+=` per value.
  return `{${Array.prototype.join.call(values, ',')}}`;
}

/** Runs `work` inside BEGIN/COMMIT on one pool client (ROLLBACK on error). */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  // A checked-out client has no error listener of the pool's: a connection lost between queries
  // would be an uncaught exception. The failure reaches `work` through its next query.
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A client whose ROLLBACK fails (the server went away) must not return to the pool.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Runs `work` on one pool client, released afterwards. */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  const onError = (): void => {
    broken = true;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
