import { createReadStream } from 'node:fs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';

/**
 * The bulk path of the population loader for `transactions` and `transaction_ids`: the tables
 * that hold tens of millions of rows at benchmark scale. Row by row, through the FK triggers and
 * four B-trees per partition, loading 17 M transactions took more than 12 minutes. Here:
 *
 * 1. the tables' keys, foreign keys and indexes are read from the catalog and dropped;
 * 2. every partition (and `transaction_ids`) gets its own connection, which truncates it and
 *    COPYs into it with FREEZE (rows written frozen and all-visible: no later hint-bit or
 *    freeze pass) and `synchronous_commit = off`; one reader of transactions.csv routes each
 *    line to the partition Postgres would choose (`satisfies_hash_partition`);
 * 3. the dropped definitions are replayed (each index is built once from sorted input rather
 *    than grown row by row; a foreign key is validated by one join), then ANALYZE;
 * 4. the catalog is read again and compared with step 1: the tables end with exactly the keys,
 *    constraints and indexes (names included) that the migrations gave them.
 *
 * The rows are those that the ingest endpoint stores for the same file under one client: a row in
 * `transactions` and its id in `transaction_ids`. Lines whose user or merchant is unknown are
 * skipped (ingest rejects them).
 */

export type BulkIds = {
  clientId: string;
  /** Internal user id by the file's numeric user id. */
  userIds: ReadonlyMap<number, string>;
  /** Internal merchant id by the file's numeric merchant id. */
  merchantIds: ReadonlyMap<number, string>;
};

type Definition = { table: string; name: string; kind: 'constraint' | 'index'; sql: string };

const TABLES = ['transactions', 'transaction_ids'] as const;

/** Keys, foreign keys and indexes declared on a table (not those a partition inherits). */
async function definitions(client: pg.ClientBase, table: string): Promise<Definition[]> {
  const constraints = await client.query<{ name: string; def: string }>(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
     WHERE conrelid = $1::regclass AND contype IN ('p', 'u', 'f') ORDER BY contype DESC, conname`,
    [table],
  );
  const indexes = await client.query<{ name: string; def: string }>(
    `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE i.indrelid = $1::regclass
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)
     ORDER BY c.relname`,
    [table],
  );
  return [
    ...constraints.rows.map((r) => ({
      table,
      name: r.name,
      kind: 'constraint' as const,
      sql: `ALTER TABLE ${table} ADD CONSTRAINT ${r.name} ${r.def}`,
    })),
    // The catalog prints a partitioned table's index as `ON ONLY`, which would not build the
    // partitions' indexes: replayed without it, it builds them all, under their former names.
    ...indexes.rows.map((r) => ({
      table,
      name: r.name,
      kind: 'index' as const,
      sql: r.def.replace(' ON ONLY ', ' ON '),
    })),
  ];
}

/** Every index and constraint of the tables and of their partitions, by name: the comparison. */
async function catalogSignature(client: pg.ClientBase): Promise<string[]> {
  const rows = await client.query<{ line: string }>(
    `WITH rels AS (
       SELECT t::regclass AS rel FROM unnest($1::text[]) t
       UNION ALL SELECT i.inhrelid::regclass FROM pg_inherits i WHERE i.inhparent = ANY($1::text[]::regclass[])
     )
     SELECT 'index ' || c.relname || ' ' || pg_get_indexdef(x.indexrelid) AS line
     FROM rels JOIN pg_index x ON x.indrelid = rels.rel JOIN pg_class c ON c.oid = x.indexrelid
     UNION ALL
     SELECT 'constraint ' || k.conrelid::regclass::text || ' ' || k.conname || ' ' || pg_get_constraintdef(k.oid)
            || ' validated=' || k.convalidated::text
     FROM rels JOIN pg_constraint k ON k.conrelid = rels.rel
     ORDER BY 1`,
    [[...TABLES]],
  );
  return rows.rows.map((r) => r.line);
}

type Partition = { name: string; modulus: number; remainder: number };

async function partitionsOf(client: pg.ClientBase, table: string): Promise<Partition[]> {
  const rows = await client.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  return rows.rows.map((r) => {
    const m = /modulus (\d+), remainder (\d+)/.exec(r.bound);
    if (m === null) throw new Error(`${r.name} is not a hash partition (${r.bound})`);
    return { name: r.name, modulus: Number(m[1]), remainder: Number(m[2]) };
  });
}

/** The remainder of each user's hash partition, as Postgres routes rows. */
async function userRemainders(
  client: pg.ClientBase,
  table: string,
  modulus: number,
): Promise<Map<string, number>> {
  const rows = await client.query<{ id: string; r: number }>(
    `SELECT u.id, r.r FROM users u CROSS JOIN generate_series(0, $2::int - 1) AS r(r)
     WHERE satisfies_hash_partition($1::regclass, $2::int, r.r, u.id)`,
    [table, modulus],
  );
  return new Map(rows.rows.map((x) => [x.id, x.r]));
}

/** One COPY ... FREEZE into one table on its own connection, in one transaction. */
type FrozenCopy = {
  write: (text: string) => Promise<void>;
  finish: () => Promise<void>;
  abort: () => Promise<void>;
};

async function openFrozenCopy(options: pg.PoolConfig, table: string, columns: string): Promise<FrozenCopy> {
  const client = new pg.Client({ ...options, statement_timeout: 0 });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SET LOCAL synchronous_commit = off');
  // FREEZE needs the table truncated (or created) in the same transaction.
  await client.query(`TRUNCATE ${table}`);
  const stream: Writable = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN WITH (FREEZE)`));
  let failure: Error | undefined;
  stream.on('error', (e: Error) => {
    failure = e;
  });
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  done.catch(() => undefined);
  return {
    async write(text) {
      if (failure) throw failure;
      if (!stream.write(text)) {
        await new Promise<void>((resolve, reject) => {
          stream.once('drain', resolve);
          stream.once('error', reject);
        });
      }
    },
    async finish() {
      stream.end();
      await done;
      await client.query('COMMIT');
      await client.end();
    },
    async abort() {
      stream.destroy();
      await client.query('ROLLBACK').catch(() => undefined);
      await client.end().catch(() => undefined);
    },
  };
}

/**
 * Reads transactions.csv (`transaction_id,user_id,merchant_id,amount_cents,currency,occurred_at`,
 * a header, no quoting) and writes each known row to its partition's stream and its id to the
 * registry's stream. Returns the number of rows written.
 */
async function routeFile(
  file: string,
  ids: BulkIds,
  remainderOf: ReadonlyMap<string, number>,
  partitions: readonly FrozenCopy[],
  registry: FrozenCopy,
): Promise<number> {
  const users = new Map<number, { id: string; part: number }>();
  for (const [ext, id] of ids.userIds) {
    const part = remainderOf.get(id);
    if (part !== undefined) users.set(ext, { id, part });
  }
  const buffers = partitions.map(() => '');
  let registryBuffer = '';
  let rows = 0;
  let rest = '';
  let header = true;
  const flush = async (): Promise<void> => {
    await Promise.all([
      ...buffers.map((b, p) => (b.length > 0 ? partitions[p]!.write(b) : undefined)),
      registryBuffer.length > 0 ? registry.write(registryBuffer) : undefined,
    ]);
    buffers.fill('');
    registryBuffer = '';
  };
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
    const text = rest + (chunk as string);
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = text.slice(start, nl);
      start = nl + 1;
      if (header) {
        header = false;
        continue;
      }
      if (line.length === 0) continue;
      const f = line.split(',');
      if (f.length !== 6 || line.includes('"')) throw new Error(`unexpected transactions.csv line: ${line}`);
      const user = users.get(Number(f[1]));
      const merchant = ids.merchantIds.get(Number(f[2]));
      if (user === undefined || merchant === undefined) continue;
      buffers[user.part] +=
        `${user.id}\t${ids.clientId}\t${f[0]!}\t${merchant}\t${f[3]!}\t${f[4]!}\t${f[5]!}\n`;
      registryBuffer += `${ids.clientId}\t${f[0]!}\n`;
      rows += 1;
    }
    rest = text.slice(start);
    await flush();
  }
  if (rest.trim().length > 0) throw new Error('transactions.csv does not end with a newline');
  return rows;
}

/**
 * Loads transactions.csv into the empty `transactions` and `transaction_ids` tables (see the
 * module comment). Refuses tables that already hold rows: it truncates what it loads.
 */
export async function bulkLoadTransactions(pool: pg.Pool, file: string, ids: BulkIds): Promise<number> {
  const admin = await pool.connect();
  try {
    const nonEmpty = await admin.query<{ n: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM transactions) OR EXISTS (SELECT 1 FROM transaction_ids) AS n`,
    );
    if (nonEmpty.rows[0]?.n === true) throw new Error('bulk load needs empty transactions tables');
    const before = await catalogSignature(admin);
    const defs = (await Promise.all(TABLES.map((t) => definitions(admin, t)))).flat();
    const partitions = await partitionsOf(admin, 'transactions');
    const modulus = partitions[0]?.modulus ?? 0;
    if (
      partitions.length !== modulus ||
      partitions.some((p, i) => p.remainder !== i && p.modulus !== modulus)
    ) {
      throw new Error('transactions must have one partition per hash remainder');
    }
    const byRemainder = [...partitions].sort((a, b) => a.remainder - b.remainder);
    const remainders = await userRemainders(admin, 'transactions', modulus);

    // Foreign keys first (they depend on nothing here), then the indexes and keys.
    for (const d of [...defs].reverse()) {
      await admin.query(
        d.kind === 'constraint' ? `ALTER TABLE ${d.table} DROP CONSTRAINT ${d.name}` : `DROP INDEX ${d.name}`,
      );
    }

    const columns = 'user_id, client_id, transaction_id, merchant_id, amount_cents, currency, occurred_at';
    const copies: FrozenCopy[] = [];
    let rows: number;
    try {
      for (const p of byRemainder) copies.push(await openFrozenCopy(pool.options, p.name, columns));
      copies.push(await openFrozenCopy(pool.options, 'transaction_ids', 'client_id, transaction_id'));
      rows = await routeFile(file, ids, remainders, copies.slice(0, -1), copies.at(-1)!);
      await Promise.all(copies.map((c) => c.finish()));
    } catch (error) {
      await Promise.all(copies.map((c) => c.abort()));
      throw error;
    }

    // Each table's definitions in their original order, the two tables side by side.
    await Promise.all(
      TABLES.map(async (table) => {
        const client = new pg.Client({ ...pool.options, statement_timeout: 0 });
        await client.connect();
        try {
          await client.query(`SET maintenance_work_mem = '512MB'`);
          for (const d of defs.filter((x) => x.table === table)) await client.query(d.sql);
          await client.query(`ANALYZE ${table}`);
        } finally {
          await client.end();
        }
      }),
    );
    const after = await catalogSignature(admin);
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      const missing = before.filter((l) => !after.includes(l));
      const extra = after.filter((l) => !before.includes(l));
      throw new Error(
        `bulk load changed the schema: missing ${JSON.stringify(missing)}, extra ${JSON.stringify(extra)}`,
      );
    }
    return rows;
  } finally {
    admin.release();
  }
}
