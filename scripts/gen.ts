/**
 * Synthetic population generator.
 *
 *   npm run gen -- --users N --seed S --out DIR [--days 30] [--end-date YYYY-MM-DD] [--no-transactions]
 *
 * Writes agg.tsv, transactions.csv, merchants.csv, profiles.jsonl, ties.tsv and meta.json into DIR.
 * The end date defaults to a constant (2026-11-21), never to today: the same arguments always give
 * byte-identical files.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { DEFAULT_END_DATE, generate } from '../src/synth/generate.ts';

const USAGE = [
  'usage: npm run gen -- --users N --seed S --out DIR [--days 30] [--end-date YYYY-MM-DD] [--no-transactions]',
  `  --end-date   last day of the window, a calendar date in Asia/Shanghai (default ${DEFAULT_END_DATE}, fixed`,
  '               so that the same arguments always give the same files)',
  '  --no-transactions   skip transactions.csv (about 90 rows, 4 kB, per user)',
].join('\n');

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function integer(name: string, value: string | undefined, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) fail(`--${name} is required`);
    return fallback;
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        users: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        days: { type: 'string' },
        'end-date': { type: 'string' },
        'no-transactions': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    });
  } catch (err) {
    return fail((err as Error).message);
  }
})();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const users = integer('users', values.users);
const seed = integer('seed', values.seed);
const days = integer('days', values.days, 30);
const outDir = values.out ?? fail('--out is required');
const endDate = values['end-date'] ?? DEFAULT_END_DATE;

const tty = process.stderr.isTTY;
const bar = tty
  ? new cliProgress.SingleBar(
      {
        format: 'users {bar} {percentage}% | {value}/{total} | {eta_buffer}s eta',
        etaBuffer: 50,
        stream: process.stderr,
      },
      cliProgress.Presets.shades_classic,
    )
  : undefined;
let nextLine = 0;
const started = performance.now();
bar?.start(users, 0);
const onProgress = (done: number): void => {
  if (bar) {
    bar.update(done);
    return;
  }
  if (done >= nextLine || done === users) {
    const s = (performance.now() - started) / 1000;
    process.stderr.write(`users ${done}/${users} (${((100 * done) / users).toFixed(0)}%) ${s.toFixed(1)}s\n`);
    nextLine = done + Math.max(1, Math.floor(users / 10));
  }
};

let result: ReturnType<typeof generate>;
try {
  result = generate({
    users,
    seed,
    outDir,
    days,
    endDate,
    transactions: !values['no-transactions'],
    onProgress,
  });
} catch (err) {
  bar?.stop();
  fail((err as Error).message);
}
bar?.stop();

const { meta, timings } = result;
const total = (performance.now() - started) / 1000;
const c = meta.counts;
const lines = [
  `wrote ${outDir}: ${c.users} users, ${c.cities} cities, ${c.neighbourhoods} neighbourhoods, ${c.merchants} merchants (${c.merchantsVisited} visited)`,
  `agg rows ${c.aggRows} (${meta.meanMerchantsPerUser.toFixed(1)} merchants/user, ${meta.meanVisitsPerRow.toFixed(2)} visits/row), transactions ${c.transactions}${meta.parameters.transactionsWritten ? '' : ' (not written)'}`,
  `friend groups ${c.friendGroups}, ties ${c.tiesPositive} positive + ${c.tiesNegative} negative`,
  `P = Σ df² = ${meta.P.toExponential(3)} (mega-chains ${(100 * meta.megaShareOfP).toFixed(1)}%)`,
  `mega-chain shares: ${meta.megaChains.map((m) => `${m.name} ${(100 * m.share).toFixed(1)}%`).join(', ')}`,
  `timings: ${Object.entries(timings)
    .map(([k, v]) => `${k} ${v.toFixed(2)}s`)
    .join(', ')}; total ${total.toFixed(2)}s (${Math.round(users / total)} users/s)`,
];
process.stderr.write(`${lines.join('\n')}\n`);
