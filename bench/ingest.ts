/**
 * Transaction ingest throughput: HTTP batches through the whole API against a plain COPY.
 *
 * `npm run bench:ingest` (env: BENCH_ROWS, default 240000 rows per configuration; BENCH_CLIENTS,
 * default 4 concurrent HTTP clients; BENCH_REPEATS, default 3, the median is reported).
 *
 * It recreates the database `kindred_bench` on the server of DATABASE_URL, starts the API
 * in-process on a loopback port, creates an API key, 20,000 consenting users and 2,000 merchants
 * (untimed), then for each batch size POSTs every row through `POST /v1/transactions` (with
 * idempotency keys, consent, merchant and window checks), and, in the same run, COPYs the same rows
 * (already resolved to internal ids) into the same `transactions` table, emptied between runs.
 * Request bodies and the COPY text are prepared before timing starts.
 */
import { cpus, loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { from as copyFrom } from 'pg-copy-streams';
import { pino } from 'pino';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { recreateDatabase } from '../src/db/migrate.ts';
import { closeDeps, createDeps } from '../src/deps.ts';
import { createLogger } from '../src/logger.ts';
import { createApiClientRepository } from '../src/modules/api-clients/api-clients.repository.ts';
import { appendResults } from './results-file.ts';

const Options = z.object({
  BENCH_ROWS: z.coerce.number().int().min(5_000).default(240_000),
  BENCH_CLIENTS: z.coerce.number().int().min(1).max(64).default(4),
  BENCH_REPEATS: z.coerce.number().int().min(1).max(9).default(3),
});
// Scripts read their own knobs here; the service's variables go through loadConfig.
const options = Options.parse(process.env);
const USERS = 20_000;
const MERCHANTS = 2_000;
const BATCH_SIZES = [1_000, 5_000];
const DATABASE = 'kindred_bench';

// No rate limit, and statements may run long: a 240k-row COPY on a busy 2-core machine exceeds 30 s.
const base = loadConfig({
  LOG_LEVEL: 'info',
  RATE_LIMIT_MAX: '100000000',
  PG_STATEMENT_TIMEOUT_MS: '600000',
});
const url = new URL(base.DATABASE_URL);
url.pathname = `/${DATABASE}`;
const databaseUrl = url.toString();

type Row = {
  transactionId: string;
  userId: string;
  merchantId: string;
  amountCents: number;
  currency: string;
  occurredAt: string;
};

/** A deterministic stream of plausible transactions: seeded LCG, last 20 days, 1 to 500 yuan. */
function makeRows(count: number, now: Date): Row[] {
  let state = 0x2545f491;
  const next = (): number => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
  const rows: Row[] = [];
  for (let i = 0; i < count; i += 1) {
    const occurred = new Date(now.getTime() - Math.floor(next() * 20 * 86_400_000));
    rows.push({
      transactionId: `bench-${String(i).padStart(8, '0')}`,
      userId: `user-${String(Math.floor(next() * USERS))}`,
      merchantId: `merchant-${String(Math.floor(next() * MERCHANTS))}`,
      amountCents: 100 + Math.floor(next() * 50_000),
      currency: 'CNY',
      occurredAt: occurred.toISOString().replace('Z', '+00:00'),
    });
  }
  return rows;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  await recreateDatabase(databaseUrl);
  const config = { ...base, DATABASE_URL: databaseUrl };
  const log = createLogger(config, pino.destination({ dest: '/dev/null', sync: false }));
  const deps = createDeps(config, { log });
  const app = await buildApp(deps, { rateLimitNameSpace: `kindred:bench:rl:${String(process.pid)}:` });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the API is not listening on TCP');
  const endpoint = `http://127.0.0.1:${String(address.port)}/v1/transactions`;

  try {
    const { client, key } = await createApiClientRepository(deps.db).create({
      name: 'bench',
      scopes: ['ingest'],
    });
    await sql`INSERT INTO users (external_id) SELECT 'user-' || g FROM generate_series(0, ${USERS - 1}) g`.execute(
      deps.db,
    );
    await sql`
      INSERT INTO consent_events (user_id, purpose, action, policy_version)
      SELECT id, 'transactions', 'grant', '2026-01' FROM users
    `.execute(deps.db);
    await sql`
      INSERT INTO merchants (external_id, name, category)
      SELECT 'merchant-' || g, 'Merchant ' || g, 'grocery' FROM generate_series(0, ${MERCHANTS - 1}) g
    `.execute(deps.db);
    await sql`ANALYZE`.execute(deps.db);

    const now = deps.clock.now();
    const rows = makeRows(options.BENCH_ROWS, now);
    const results: { label: string; batches: number; clients: number; seconds: number }[] = [];

    const emptyTables = () =>
      sql`TRUNCATE transactions, transaction_ids, idempotency_records`.execute(deps.db);

    const runHttp = async (batchSize: number, repeat: number): Promise<number> => {
      const bodies: string[] = [];
      for (let start = 0; start < rows.length; start += batchSize) {
        bodies.push(JSON.stringify({ transactions: rows.slice(start, start + batchSize) }));
      }
      await emptyTables();
      let nextBatch = 0;
      let accepted = 0;
      const worker = async (): Promise<void> => {
        for (let index = nextBatch++; index < bodies.length; index = nextBatch++) {
          const response = await fetch(endpoint, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${key}`,
              'content-type': 'application/json',
              'idempotency-key': `bench-${String(batchSize)}-${String(repeat)}-${String(index)}`,
            },
            body: bodies[index] ?? '',
          });
          const text = await response.text();
          if (response.status !== 200)
            throw new Error(`batch ${String(index)}: ${String(response.status)} ${text}`);
          accepted += (JSON.parse(text) as { accepted: number }).accepted;
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: options.BENCH_CLIENTS }, worker));
      const seconds = (performance.now() - started) / 1000;
      if (accepted !== rows.length) throw new Error(`accepted ${String(accepted)} of ${String(rows.length)}`);
      return seconds;
    };

    // The COPY side gets the rows already resolved to internal ids, as a loader would have them.
    const ids = async (table: 'users' | 'merchants') =>
      new Map(
        (await deps.db.selectFrom(table).select(['id', 'external_id']).execute()).map((r) => [
          r.external_id,
          r.id,
        ]),
      );
    const userIds = await ids('users');
    const merchantIds = await ids('merchants');
    const copyText = rows
      .map(
        (r) =>
          `${userIds.get(r.userId) ?? ''}\t${client.id}\t${r.transactionId}\t${merchantIds.get(r.merchantId) ?? ''}\t${String(r.amountCents)}\t${r.currency}\t${r.occurredAt}\n`,
      )
      .join('');

    // The same rows cut into `streams` contiguous parts, one COPY per connection, all at once.
    const copyParts = (streams: number): Buffer[] => {
      const copyLines = copyText.split('\n').filter((line) => line !== '');
      const size = Math.ceil(copyLines.length / streams);
      return Array.from({ length: streams }, (_, i) =>
        Buffer.from(`${copyLines.slice(i * size, (i + 1) * size).join('\n')}\n`),
      );
    };
    const copyInputs = new Map([1, options.BENCH_CLIENTS].map((streams) => [streams, copyParts(streams)]));

    const runCopy = async (streams: number): Promise<number> => {
      await emptyTables();
      const parts = copyInputs.get(streams) ?? [];
      const connections = await Promise.all(parts.map(() => deps.pool.connect()));
      try {
        const started = performance.now();
        await Promise.all(
          connections.map((connection, i) =>
            pipeline(
              Readable.from([parts[i] ?? Buffer.alloc(0)]),
              connection.query(
                copyFrom(
                  'COPY transactions (user_id, client_id, transaction_id, merchant_id, amount_cents, currency, occurred_at) FROM STDIN',
                ),
              ),
            ),
          ),
        );
        const seconds = (performance.now() - started) / 1000;
        const { rows: counted } = await deps.pool.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM transactions',
        );
        if (counted[0]?.n !== rows.length) throw new Error('COPY stored the wrong number of rows');
        return seconds;
      } finally {
        for (const connection of connections) connection.release();
      }
    };

    const copyTimes: number[] = [];
    const parallelCopyTimes: number[] = [];
    const httpTimes = new Map<number, number[]>(BATCH_SIZES.map((size) => [size, []]));
    const loadBefore = loadavg()[0] ?? 0;
    for (let repeat = 0; repeat < options.BENCH_REPEATS; repeat += 1) {
      const copySeconds = await runCopy(1);
      copyTimes.push(copySeconds);
      const parallelSeconds = await runCopy(options.BENCH_CLIENTS);
      parallelCopyTimes.push(parallelSeconds);
      const figures = [
        `COPY ${String(Math.round(rows.length / copySeconds))} rows/s`,
        `COPY×${String(options.BENCH_CLIENTS)} ${String(Math.round(rows.length / parallelSeconds))} rows/s`,
      ];
      for (const size of BATCH_SIZES) {
        const seconds = await runHttp(size, repeat);
        httpTimes.get(size)?.push(seconds);
        figures.push(`HTTP×${String(size)} ${String(Math.round(rows.length / seconds))} rows/s`);
      }
      process.stderr.write(
        `repeat ${String(repeat + 1)}/${String(options.BENCH_REPEATS)}: ${figures.join(', ')}\n`,
      );
    }
    const loadAfter = loadavg()[0] ?? 0;
    results.push({
      label: 'COPY (pg-copy-streams), one stream',
      batches: 1,
      clients: 1,
      seconds: median(copyTimes),
    });
    results.push({
      label: `COPY, ${String(options.BENCH_CLIENTS)} streams at once`,
      batches: options.BENCH_CLIENTS,
      clients: options.BENCH_CLIENTS,
      seconds: median(parallelCopyTimes),
    });
    for (const size of BATCH_SIZES) {
      results.push({
        label: `HTTP POST /v1/transactions, batches of ${String(size)}`,
        batches: Math.ceil(rows.length / size),
        clients: options.BENCH_CLIENTS,
        seconds: median(httpTimes.get(size) ?? []),
      });
    }

    const copyRate = rows.length / median(copyTimes);
    const lines = [
      `| method | rows | requests | concurrent clients | seconds (median of ${String(options.BENCH_REPEATS)}) | rows/s | vs COPY |`,
      '|---|---|---|---|---|---|---|',
      ...results.map((r) => {
        const rate = rows.length / r.seconds;
        return `| ${r.label} | ${String(rows.length)} | ${String(r.batches)} | ${String(r.clients)} | ${r.seconds.toFixed(2)} | ${Math.round(rate).toLocaleString('en-US')} | ${(rate / copyRate).toFixed(2)}× |`;
      }),
    ];
    const table = lines.join('\n');
    process.stdout.write(`${table}\n`);

    const command = [
      options.BENCH_ROWS === 240_000 ? '' : `BENCH_ROWS=${String(options.BENCH_ROWS)} `,
      options.BENCH_CLIENTS === 4 ? '' : `BENCH_CLIENTS=${String(options.BENCH_CLIENTS)} `,
      options.BENCH_REPEATS === 3 ? '' : `BENCH_REPEATS=${String(options.BENCH_REPEATS)} `,
      'npm run bench:ingest',
    ].join('');
    await appendResults(
      `\n## Transaction ingest, ${now.toISOString().slice(0, 10)}\n\n` +
        `Command: \`${command}\` (${String(USERS)} consenting users, ${String(MERCHANTS)} merchants; ` +
        `Node ${process.version}, PostgreSQL and the API on the same ${String(cpus().length)}-core machine, ` +
        `1-minute load average ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after). ` +
        'HTTP includes auth, JSON parsing, zod validation, the idempotency claim, consent, merchant and window ' +
        'checks and the id registry; COPY writes resolved rows into the same table, emptied between runs; ' +
        '"vs COPY" compares with the one-stream COPY.\n\n' +
        `${table}\n`,
    );
  } finally {
    await app.close();
    await closeDeps(deps);
  }
}

await main();
