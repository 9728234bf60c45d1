/**
 * `GET /v1/me/match` throughput against a bare route of the same server.
 *
 * `npm run bench:match` (env: BENCH_SECONDS, default 20 per route; BENCH_CONNECTIONS, default 100;
 * BENCH_PG_POOL, default 8 Postgres connections for the API; BENCH_CPU_PROFILE_DIR, a directory
 * for the API's V8 CPU profile).
 *
 * Recreates the database `kindred_bench_match` on the server of DATABASE_URL and writes 10,000
 * users with profiles, both consents and today's published matches (5,000 pairs) directly (untimed).
 * The API runs in a child process (this script with `--serve`), so that the load generator does not
 * share the server's event loop; it registers one test-only route, `GET /bench/bare`, answering a
 * constant JSON through the same plugins (request id, load shedding, JWT identification, the global
 * rate limit on Redis, helmet, the error handler). autocannon then drives each route for
 * BENCH_SECONDS with BENCH_CONNECTIONS connections, every request with one of the 10,000 users'
 * tokens in turn, after a 3-second warm-up; the per-user limits are raised so that none trips. Any
 * answer other than 200 fails the run. The result is appended to bench/RESULTS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createDb, createPool } from '../src/db/database.ts';
import { recreateDatabase } from '../src/db/migrate.ts';
import { closeDeps, createDeps } from '../src/deps.ts';
import { createLogger } from '../src/logger.ts';
import { signJwt } from '../src/plugins/jwt.ts';
import { localDate } from '../src/modules/users/local-day.ts';
import { appendResults } from './results-file.ts';

const Options = z.object({
  BENCH_SECONDS: z.coerce.number().int().min(3).max(600).default(20),
  BENCH_CONNECTIONS: z.coerce.number().int().min(1).max(1000).default(100),
  /** Postgres connections of the API: on a 2-core machine fewer backends contend less. */
  BENCH_PG_POOL: z.coerce.number().int().min(1).max(100).default(8),
  BENCH_CPU_PROFILE_DIR: z.string().min(1).optional(),
});
const options = Options.parse(process.env);
const USERS = 10_000;
const DATABASE = 'kindred_bench_match';
const TIME_ZONE = 'Asia/Shanghai';
const SELF = fileURLToPath(import.meta.url);

/** The service configuration of the bench: its own database, per-user limits out of the way. */
const BENCH_ENV = {
  LOG_LEVEL: 'warn',
  RATE_LIMIT_MAX: '1000000000',
  MATCH_RATE_LIMIT_MAX: '1000000000',
  PG_POOL_MAX: String(options.BENCH_PG_POOL),
};
const base = loadConfig(BENCH_ENV);
const url = new URL(base.DATABASE_URL);
url.pathname = `/${DATABASE}`;
const databaseUrl = url.toString();

/** autocannon ships no types: the part used here, and its result checked with zod. */
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests: { method: 'GET'; path: string; setupRequest: (request: Request) => Request }[];
}) => Promise<unknown>;
type Request = { headers?: Record<string, string> } & Record<string, unknown>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
const Result = z.object({
  requests: z.object({ average: z.number(), total: z.number() }),
  latency: z.object({ p50: z.number(), p99: z.number(), average: z.number() }),
  non2xx: z.number(),
  errors: z.number(),
  timeouts: z.number(),
});
type Result = z.infer<typeof Result>;

/** Child mode: serve the API on a loopback port, print it, wait to be killed. */
async function serve(): Promise<void> {
  const config = loadConfig({ ...BENCH_ENV, DATABASE_URL: databaseUrl });
  const deps = createDeps(config, { log: createLogger(config) });
  const app = await buildApp(deps, { rateLimitNameSpace: `kindred:bench-match:${String(process.pid)}:` });
  // Test-only: a constant answer behind the same root plugins and hooks as every route.
  const Bare = z.object({ ok: z.literal(true), service: z.string() });
  app.get('/bench/bare', { schema: { hide: true, response: { 200: Bare } } }, () => ({
    ok: true as const,
    service: 'kindred',
  }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`listening ${address}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(() => closeDeps(deps).then(() => process.exit(0)));
  });
}

/** 10,000 users with profiles and consents, a published run of today and 5,000 pairs. */
async function seed(today: string): Promise<string[]> {
  const pool = createPool(
    { connectionString: databaseUrl, max: 2, statementTimeoutMs: 600_000 },
    createLogger({ LOG_LEVEL: 'warn' }),
  );
  const db = createDb(pool);
  try {
    await sql`
      INSERT INTO users (external_id, verified)
      SELECT 'bench-user-' || lpad(g::text, 5, '0'), g % 3 = 0 FROM generate_series(1, ${USERS}) g
    `.execute(db);
    await sql`
      INSERT INTO profiles (user_id, display_name, birth_year, gender, seeking, age_min, age_max, city,
                            timezone, contact_handle, only_verified, allow_guess_game)
      SELECT id, 'Bench ' || id, 1970 + (id % 30)::int, (ARRAY['woman','man','nonbinary'])[1 + (id % 3)::int],
             ARRAY['woman','man','nonbinary'], 18, 99, 'Shanghai', ${TIME_ZONE}, '@bench' || id, false, id % 4 <> 0
      FROM users
    `.execute(db);
    await sql`
      INSERT INTO consent_events (user_id, purpose, action, policy_version)
      SELECT u.id, p, 'grant', 'v1' FROM users u, unnest(ARRAY['transactions', 'matching']) p
    `.execute(db);
    await sql`
      INSERT INTO scoring_runs (business_date, status, weight_set_id, weight_params, triggered_by, published_at)
      SELECT ${today}, 'published', id, params, 'bench', now() FROM weight_sets ORDER BY id LIMIT 1
    `.execute(db);
    await sql`
      WITH u AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM users),
      p AS (
        SELECT a.id AS a, b.id AS b, gen_random_uuid() AS match_id, (a.rn % 90)::smallint + 10 AS score
        FROM u a JOIN u b ON b.rn = a.rn + 1 WHERE a.rn % 2 = 1
      ),
      r AS (SELECT id FROM scoring_runs WHERE business_date = ${today})
      INSERT INTO matches (user_id, match_date, match_id, run_id, counterpart_id, alias, score, shared_bucket,
                           top_categories, crossed_paths)
      SELECT x.user_id, ${today}, p.match_id, r.id, x.counterpart_id, 'bench', p.score, '3-4',
             ARRAY['coffee', 'books']::text[], p.score % 2 = 0
      FROM p CROSS JOIN r
      CROSS JOIN LATERAL (VALUES (p.a, p.b), (p.b, p.a)) AS x(user_id, counterpart_id)
    `.execute(db);
    await sql`ANALYZE`.execute(db);
    const rows = await db.selectFrom('users').select('external_id').orderBy('id').execute();
    return rows.map((r) => r.external_id);
  } finally {
    await db.destroy();
  }
}

/** With BENCH_CPU_PROFILE_DIR, the API writes a V8 CPU profile there when it exits. */
const profileArgs =
  options.BENCH_CPU_PROFILE_DIR === undefined
    ? []
    : ['--cpu-prof', `--cpu-prof-dir=${options.BENCH_CPU_PROFILE_DIR}`];

async function startServer(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [...profileArgs, ...process.execArgv, SELF, '--serve'], {
    env: { ...process.env, ...BENCH_ENV, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  for await (const line of lines) {
    const found = /^listening (http:\/\/\S+)$/.exec(line);
    if (found?.[1] !== undefined) return { child, origin: found[1] };
  }
  throw new Error('the server exited before listening');
}

async function drive(origin: string, path: string, tokens: string[], seconds: number): Promise<Result> {
  let next = 0;
  const raw = await autocannon({
    url: origin,
    connections: options.BENCH_CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (request) => {
          const token = tokens[next % tokens.length] ?? '';
          next += 1;
          return { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } };
        },
      },
    ],
  });
  return Result.parse(raw);
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
  process.stdout.write(`load average before seeding: ${load()} (${String(cpus().length)} cores)\n`);
  const today = localDate(new Date(), TIME_ZONE);
  await recreateDatabase(databaseUrl);
  const users = await seed(today);
  const tokenSettings = { secret: base.JWT_SECRET, issuer: base.JWT_ISSUER, audience: base.JWT_AUDIENCE };
  const tokens = users.map((sub) =>
    signJwt({ sub, role: 'user' }, tokenSettings, { now: new Date(), ttlSeconds: 3 * 3600 }),
  );
  const { child, origin } = await startServer();
  try {
    // Every token once, so that no card comes back as a 404 (and caches are warm).
    const check = await fetch(`${origin}/v1/me/match`, {
      headers: { authorization: `Bearer ${tokens[0] ?? ''}` },
    });
    if (check.status !== 200) throw new Error(`GET /v1/me/match answered ${String(check.status)}`);
    const loadBefore = load();
    await drive(origin, '/bench/bare', tokens, 3);
    const bare = await drive(origin, '/bench/bare', tokens, options.BENCH_SECONDS);
    await drive(origin, '/v1/me/match', tokens, 3);
    const match = await drive(origin, '/v1/me/match', tokens, options.BENCH_SECONDS);
    const loadAfter = load();
    for (const [name, r] of [
      ['bare', bare],
      ['match', match],
    ] as const) {
      process.stdout.write(
        `${name}: ${fmt(r.requests.average)} req/s, p50 ${String(r.latency.p50)} ms, p99 ${String(r.latency.p99)} ms, ${String(r.non2xx)} non-2xx, ${String(r.errors)} errors, ${String(r.timeouts)} timeouts\n`,
      );
      if (r.non2xx > 0) throw new Error(`${name}: ${String(r.non2xx)} answers other than 200`);
    }
    const ratio = match.requests.average / bare.requests.average;
    const rows = [
      '| route | requests | req/s | p50 ms | p99 ms | timeouts (10 s) | vs bare |',
      '| ----- | -------- | ----- | ------ | ------ | --------------- | ------- |',
      `| GET /bench/bare (constant JSON, same plugins) | ${fmt(bare.requests.total)} | ${fmt(bare.requests.average)} | ${fmt(bare.latency.p50, 1)} | ${fmt(bare.latency.p99, 1)} | ${String(bare.timeouts)} | 1.00× |`,
      `| GET /v1/me/match (10,000 users' tokens in turn) | ${fmt(match.requests.total)} | ${fmt(match.requests.average)} | ${fmt(match.latency.p50, 1)} | ${fmt(match.latency.p99, 1)} | ${String(match.timeouts)} | ${ratio.toFixed(2)}× |`,
    ];
    const verdict = `Targets: ≥ 0.35× the bare route's req/s (${ratio >= 0.35 ? 'met' : 'missed'}: ${ratio.toFixed(2)}×), p99 ≤ 25 ms (${match.latency.p99 <= 25 ? 'met' : 'missed'}: ${fmt(match.latency.p99, 1)} ms).`;
    const section = [
      '',
      `## Daily match card, ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Command: \`npm run bench:match\` (${String(options.BENCH_SECONDS)} s per route after a 3 s warm-up, ${String(options.BENCH_CONNECTIONS)} connections, autocannon 9 in this process, the API in a child process on loopback; ${fmt(USERS)} users with profiles, consents and today's published matches in \`${DATABASE}\`; per-user limits raised so that none trips; a pool of ${String(options.BENCH_PG_POOL)} Postgres connections; Node ${process.version}, PostgreSQL, Redis and the API on one ${String(cpus().length)}-core machine shared with other work: 1-minute load average ${loadBefore} before and ${loadAfter} after the timed runs). Every answer received was a 200. The card costs its share of one statement (the viewer with consents and local date, the day's run, match, counterpart, decisions, guesses and confirmed merchants) read for all the cards of one turn of the event loop, run as a named prepared statement, plus the per-user rate-limit counter on Redis; counterparts with reveals add the k-anonymity query of \`GET /v1/me/merchants\` (none in this data set).`,
      '',
      ...rows,
      '',
      verdict,
      '',
    ].join('\n');
    process.stdout.write(`${section}\n`);
    await appendResults(section);
  } finally {
    child.kill('SIGTERM');
  }
}

if (process.argv.includes('--serve')) {
  await serve();
} else {
  await main();
}
