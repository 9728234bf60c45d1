/**
 * The main job, end to end on a fresh machine with Postgres and Redis:
 *
 *   npm run demo [-- --users 3000 --seed 7 --no-serve]
 *
 * creates and migrates the database, generates a synthetic population (a few thousand users in the
 * generator's cities), loads it through the public API exactly as the payment platform and the
 * users' apps would, runs today's nightly pipeline through real BullMQ workers, prints today's
 * masked cards for three users, plays a mutual like between one pair, then, as an analyst, evaluates
 * a variant of the active weight set against it on the `evaluate` queue (without activating it),
 * and keeps serving the API. Running it again reuses the loaded data (ingest is idempotent),
 * today's published run and the variant weight set.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import closeWithGrace from 'close-with-grace';
import { z } from 'zod';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.ts';
import { demoUserId, loadPopulationOverHttp } from '../src/demo/http-loader.ts';
import { closeDeps, createDeps } from '../src/deps.ts';
import { createApiClientRepository } from '../src/modules/api-clients/api-clients.repository.ts';
import { signJwt } from '../src/plugins/jwt.ts';
import { addDays, businessDate } from '../src/queue/schedule.ts';
import { generate } from '../src/synth/generate.ts';
import { playAnalystTour } from '../src/modules/evaluations/demo-evaluation.ts';
import { playDemoTour } from '../src/modules/match/demo-tour.ts';
import { createPipelineRuntime } from '../src/modules/pipeline/runtime.ts';

const Args = z.object({
  users: z.coerce.number().int().min(50).max(200_000).default(3000),
  seed: z.coerce.number().int().min(0).default(7),
  'no-serve': z.boolean().default(false),
});
const args = (() => {
  try {
    const { values } = parseArgs({
      options: { users: { type: 'string' }, seed: { type: 'string' }, 'no-serve': { type: 'boolean' } },
      strict: true,
    });
    return Args.parse(values);
  } catch (error) {
    process.stderr.write(
      `${(error as Error).message}\nusage: npm run demo -- [--users N] [--seed S] [--no-serve]\n`,
    );
    process.exit(2);
  }
})();

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const config = loadConfig();

say('1/7 database');
if (await ensureDatabase(config.DATABASE_URL))
  say(`    created ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
await migrateToLatest(config.DATABASE_URL);

// The console is the walkthrough: the in-process API logs warnings and errors only.
const deps = createDeps({ ...config, LOG_LEVEL: 'warn' });
const today = businessDate(deps.clock.now(), config.MATCH_TIMEZONE);
// The window of today's run is the days before today: the population's last day is yesterday.
const dataDir = join('data', `demo-${String(args.users)}-${String(args.seed)}-${today}`);
say(
  `2/7 synthetic population: ${String(args.users)} users, seed ${String(args.seed)}, window ending ${addDays(today, -1)}`,
);
if (!existsSync(join(dataDir, 'meta.json'))) {
  const { meta } = generate({
    users: args.users,
    seed: args.seed,
    outDir: dataDir,
    days: 30,
    endDate: addDays(today, -1),
    transactions: true,
  });
  say(
    `    ${String(meta.counts.merchants)} merchants, ${String(meta.counts.transactions)} transactions in ${dataDir}`,
  );
}

const app = await buildApp(deps);
await app.listen({ host: config.HOST, port: config.PORT });
const baseUrl = `http://${config.HOST}:${String(config.PORT)}`;
// Runs the evaluation worker of step 6: the nightly's workers live in its own process, which exits.
const evaluations = createPipelineRuntime(deps);
const shutdown = async (): Promise<void> => {
  await app.close();
  await evaluations.close();
  await closeDeps(deps);
};
const grace = closeWithGrace({ delay: 10_000 }, shutdown);

say(`3/7 loading through the API at ${baseUrl}`);
const clients = createApiClientRepository(deps.db);
const issued =
  (await clients.rotateKey('demo-platform')) ??
  (await clients.create({ name: 'demo-platform', scopes: ['ingest'] }));
const jwt = { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
const tokenFor = (sub: string, role: 'user' | 'admin' | 'analyst' = 'user'): string =>
  signJwt({ sub, role }, jwt, { now: deps.clock.now(), ttlSeconds: 12 * 3600 });

const bars = process.stdout.isTTY
  ? new cliProgress.MultiBar({ format: '    {phase} [{bar}] {value}/{total}' })
  : undefined;
const barOf = new Map<string, cliProgress.SingleBar>();
const loaded = await loadPopulationOverHttp(dataDir, {
  baseUrl,
  apiKey: issued.key,
  tokenFor: (sub) => tokenFor(sub),
  policyVersion: '2026-11',
  concurrency: 8,
  onProgress: (phase, done, total) => {
    if (bars === undefined) {
      if (done === total) say(`    ${phase}: ${String(total)}`);
      return;
    }
    const bar = barOf.get(phase) ?? bars.create(total, 0, { phase: phase.padEnd(22) });
    barOf.set(phase, bar);
    bar.update(done);
  },
});
bars?.stop();
say(
  `    ${String(loaded.users)} users, ${String(loaded.merchants)} merchants; transactions accepted ${String(loaded.transactionsAccepted)}, ` +
    `duplicate ${String(loaded.transactionsDuplicate)}, rejected ${String(loaded.transactionsRejected)}`,
);

say(`4/7 nightly pipeline for ${today} through BullMQ workers`);
const nightly = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/nightly.ts', '--date', today], {
  stdio: 'inherit',
  env: process.env,
});
if (nightly.status !== 0) {
  say('the nightly run failed; see above');
  grace.uninstall();
  await shutdown();
  process.exit(1);
}

say("5/7 today's masked cards");
// The operator's console picks the day's best pair and one more matched user; the cards printed
// are exactly what those users receive from the API.
const featured = await deps.db
  .selectFrom('matches as m')
  .innerJoin('users as u', 'u.id', 'm.user_id')
  .select('u.external_id as userId')
  .where('m.match_date', '=', today)
  .where('m.ended_at', 'is', null)
  .orderBy('m.score', 'desc')
  .orderBy('m.match_id')
  .orderBy('u.external_id')
  .limit(3)
  .execute();
const [first, second, third] = featured.map((row) => row.userId);
if (first !== undefined && second !== undefined && third !== undefined) {
  await playDemoTour(app, config, { users: [first, second, third], print: (line) => say(`    ${line}`) });
} else {
  say('    fewer than three users were paired today');
}

say("6/7 the analyst's loop: a weight set evaluated against the active one");
evaluations.startWorkers({ queues: ['evaluate'] });
// On a TTY a bar, started at the first progress (after the tour's opening lines); else plain lines.
const evaluationBar = process.stdout.isTTY
  ? new cliProgress.SingleBar({ format: '    evaluation [{bar}] {value} %' })
  : undefined;
try {
  await playAnalystTour(app, config, {
    baseUrl,
    print: (line) => say(`    ${line}`),
    ...(evaluationBar !== undefined && {
      onProgress: (percent: number, done: boolean) => {
        if (evaluationBar.isActive) evaluationBar.update(percent);
        else evaluationBar.start(100, percent);
        if (done) evaluationBar.stop();
      },
    }),
  });
} catch (error) {
  evaluationBar?.stop();
  say(`    the evaluation could not be played: ${(error as Error).message}`);
}

say('7/7 the API is serving');
const analyst = tokenFor('demo-analyst', 'analyst');
say(`    docs:        ${baseUrl}/docs`);
say(`    as a user:   curl -s ${baseUrl}/v1/me/match -H "authorization: Bearer ${tokenFor(demoUserId(1))}"`);
say(`    as analyst:  curl -s ${baseUrl}/v1/analyst/runs -H "authorization: Bearer ${analyst}"`);
say(`    ingest key:  ${issued.key}`);
if (args['no-serve']) {
  grace.uninstall();
  await shutdown();
} else {
  say('    press Ctrl-C to stop');
}
