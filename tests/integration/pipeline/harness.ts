import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import { parseConfig, type Config } from '../../../src/config.ts';
import { createDb, createPool, type Db } from '../../../src/db/database.ts';
import { loadPopulation } from '../../../src/modules/pipeline/population-loader.ts';
import { generate } from '../../../src/synth/generate.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.ts';

export const BUSINESS_DATE = '2026-11-22';

/** A generated population on disk, made once per (users, seed) and reused by later test files. */
export function population(users: number, seed: number): string {
  const dir = join(tmpdir(), `kindred-pop-${String(users)}-${String(seed)}`);
  if (!existsSync(join(dir, 'meta.json'))) {
    const tmp = `${dir}.${randomUUID()}`;
    mkdirSync(tmp, { recursive: true });
    generate({ users, seed, outDir: tmp, days: 30, endDate: '2026-11-21', transactions: true });
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // another file made it
    }
    for (const f of [
      'merchants.csv',
      'profiles.jsonl',
      'transactions.csv',
      'agg.tsv',
      'ties.tsv',
      'meta.json',
    ]) {
      // rename is atomic: a reader never sees half a file
      try {
        renameSync(join(tmp, f), join(dir, f));
      } catch {
        // already there
      }
    }
  }
  return dir;
}

export type PipelineTestEnv = {
  database: TestDatabase;
  config: Config;
  pool: pg.Pool;
  db: Db;
  log: Logger;
  logs: string[];
  close: () => Promise<void>;
};

/** A private database and queue prefix (test files share Redis), loaded with a population. */
export async function createPipelineEnv(
  options: { users?: number; seed?: number; env?: Record<string, string> } = {},
): Promise<PipelineTestEnv> {
  const database = await createTestDatabase();
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    QUEUE_PREFIX: `{kt-${randomUUID().slice(0, 8)}}`,
    SCORE_SHARDS: '3',
    SCORE_THREADS: '1',
    LOG_LEVEL: 'info',
    RECONCILE_INTERVAL_MS: '1000',
    WORKER_LOCK_MS: '4000',
    ...options.env,
  });
  const logs: string[] = [];
  const log = pino(
    { level: 'info' },
    {
      write: (chunk: string) => {
        for (const line of chunk.split('\n')) if (line !== '') logs.push(line);
      },
    },
  );
  const pool = createPool({ connectionString: database.url, max: 8 }, log);
  const db = createDb(pool);
  await loadPopulation(pool, population(options.users ?? 300, options.seed ?? 7));
  return {
    database,
    config,
    pool,
    db,
    log,
    logs,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}

/**
 * Polls the run of a date until it is published or failed (or the timeout). A failed poll (a
 * connection dropped by a Postgres restart) is retried.
 */
export async function waitForRun(db: Db, date: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status: string | undefined;
  for (;;) {
    try {
      const row = await sql<{
        status: string;
      }>`SELECT status FROM scoring_runs WHERE business_date = ${date}`.execute(db);
      status = row.rows[0]?.status;
    } catch {
      status = 'unreachable';
    }
    if (status === 'published' || status === 'failed') return status;
    if (Date.now() > deadline)
      throw new Error(`run of ${date} still ${status ?? 'missing'} after ${String(timeoutMs)} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export type MatchSnapshot = Array<{
  user_id: string;
  counterpart_id: string;
  match_id: string;
  alias: string;
  score: number;
  shared_bucket: string;
  top_categories: string[];
  crossed_paths: boolean;
}>;

/** The published matches of a date, in a stable order. */
export async function matchesOf(db: Db, date: string): Promise<MatchSnapshot> {
  const rows = await sql<MatchSnapshot[number]>`
    SELECT user_id, counterpart_id, match_id, alias, score, shared_bucket, top_categories, crossed_paths
    FROM matches WHERE match_date = ${date} ORDER BY user_id`.execute(db);
  return rows.rows;
}
