import fc from 'fast-check';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../../src/db/database.ts';
import { copyOutBinary } from '../../../src/modules/pipeline/binary-copy-out.ts';
import { withClient } from '../../../src/modules/pipeline/copy.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

/**
 * The binary COPY reader against PostgreSQL itself: rows written with the arrays the pipeline
 * stores (int8 ids, int8[], float4[], int2[], empty arrays) come back with the same values,
 * through chunk boundaries anywhere in a tuple.
 */
let database: TestDatabase;
let pool: pg.Pool;
const log = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPool({ connectionString: database.url, max: 2 }, log);
  await pool.query(
    `CREATE TABLE pools (id bigint PRIMARY KEY, ids bigint[] NOT NULL, scores real[] NOT NULL, counts smallint[] NOT NULL)`,
  );
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

type Row = { id: number; ids: number[]; scores: number[]; counts: number[] };

const row = fc.record({
  id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  ids: fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { maxLength: 40 }),
  // finite floats away from the subnormal range, and no negative zero (text would lose its sign)
  scores: fc.array(
    fc.float({ noNaN: true, noDefaultInfinity: true }).map((x) => (Math.abs(x) < 1e-30 ? 0 : x)),
    { maxLength: 40 },
  ),
  counts: fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 40 }),
});

async function roundTrip(rows: Row[]): Promise<Row[]> {
  await pool.query('TRUNCATE pools');
  await pool.query(
    `INSERT INTO pools (id, ids, scores, counts)
     SELECT (e->>'id')::bigint, (e->>'ids')::bigint[], (e->>'scores')::real[], (e->>'counts')::smallint[]
     FROM jsonb_array_elements($1::jsonb) e`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: String(r.id),
          ids: `{${r.ids.join(',')}}`,
          // nine significant digits bring a float4 back exactly
          scores: `{${r.scores.map((x) => x.toPrecision(9)).join(',')}}`,
          counts: `{${r.counts.join(',')}}`,
        })),
      ),
    ],
  );
  const out: Row[] = [];
  await withClient(pool, (client) =>
    copyOutBinary(client, 'SELECT id, ids, scores, counts FROM pools ORDER BY id', (t) => {
      out.push({
        id: t.int8(0),
        ids: t.int8Array(1),
        scores: [...t.float4Array(2)],
        counts: [...t.int2Array(3)],
      });
    }),
  );
  return out;
}

describe('copyOutBinary', () => {
  it('reads back every value the pipeline stores, in any rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 30 }), async (rows) => {
        const want = [...rows].sort((a, b) => a.id - b.id);
        expect(await roundTrip(rows)).toEqual(want);
      }),
      { numRuns: 40 },
    );
  });

  it('reads many rows streamed in many chunks', async () => {
    const rows: Row[] = Array.from({ length: 5_000 }, (_, i) => ({
      id: i + 1,
      ids: Array.from({ length: 60 }, (_, j) => 2 ** 40 + i * 100 + j),
      scores: Array.from({ length: 60 }, (_, j) => Math.fround((i + j) / 7)),
      counts: Array.from({ length: 60 }, (_, j) => (i + j) % 300),
    }));
    const got = await roundTrip(rows);
    expect(got.length).toBe(rows.length);
    expect(got).toEqual(rows);
  });

  it('refuses what it does not read: NULL fields and arrays, two dimensions', async () => {
    const read = (query: string) =>
      withClient(pool, (client) =>
        copyOutBinary(client, query, (t) => {
          t.int8Array(0);
        }),
      );
    await expect(read('SELECT NULL::bigint[]')).rejects.toThrow(/NULL/);
    await expect(read(`SELECT '{1,NULL}'::bigint[]`)).rejects.toThrow(/without NULLs/);
    await expect(read(`SELECT '{{1,2},{3,4}}'::bigint[]`)).rejects.toThrow(/one-dimensional/);
    await expect(read(`SELECT '{1,2}'::int4[]`)).rejects.toThrow(/8 bytes/);
  });
});
