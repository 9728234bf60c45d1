/**
 * Offline scoring of an aggregate file (design section 4): exact top-k by overlap.
 *
 *   npm run score:file -- --input agg.tsv --out top.tsv [--top-k 50] [--weights w.json]
 *     [--max-merchant-share X] [--recency-half-life H] [--normalization cosine|sqrt|none]
 *     [--window-days W] [--idf-exponent E] [--visit-transform log1p|binary|linear]
 *     [--min-shared-merchants S] [--threads T] [--heavy-columns H]
 *
 * Flags override the weight set's fields. Output: `user_id candidate_id score rank`, overlap only
 * (sqrt and none scaled by the run's largest pair), rank 1 = best, ties by the smaller candidate
 * id. The weight set's minSharedMerchants applies only when given with --min-shared-merchants
 * (the benchmarks' exact mode has no such filter). Phase timings and peak RSS go to stderr.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import type { z } from 'zod';
import { buildScoringMatrix } from '../src/core/scoring/matrix.ts';
import { chooseHeavyColumns } from '../src/core/scoring/symmetric-plan.ts';
import { WeightSetSchema, type WeightSet } from '../src/core/scoring/weight-set.ts';
import { computeCandidates } from '../src/scoring/parallel.ts';
import { readAggregateTsv, toDense, TsvFormatError } from '../src/scoring/tsv.ts';
import { writeTopTsvParallel } from '../src/scoring/write-top.ts';

const USAGE = `usage: npm run score:file -- --input agg.tsv --out top.tsv [--top-k 50] [--weights w.json]
  [--max-merchant-share X] [--recency-half-life H] [--normalization cosine|sqrt|none] [--window-days W]
  [--idf-exponent E] [--visit-transform log1p|binary|linear] [--min-shared-merchants S] [--threads T]
  [--heavy-columns H]   leading merchant columns read by lookup (default: automatic; 0 = plain scan)`;

function usage(message: string): never {
  process.stderr.write(`score:file: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  try {
    return parseArgs({
      options: {
        input: { type: 'string' },
        out: { type: 'string' },
        'top-k': { type: 'string' },
        weights: { type: 'string' },
        'max-merchant-share': { type: 'string' },
        'recency-half-life': { type: 'string' },
        normalization: { type: 'string' },
        'window-days': { type: 'string' },
        'idf-exponent': { type: 'string' },
        'visit-transform': { type: 'string' },
        'min-shared-merchants': { type: 'string' },
        threads: { type: 'string' },
        'heavy-columns': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return usage((err as Error).message);
  }
}

function num(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) usage(`--${flag} must be a number, got "${value}"`);
  return n;
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');
}

const values = parse();
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const input = values.input ?? usage('--input is required');
const out = values.out ?? usage('--out is required');

let raw: Record<string, unknown> = {};
if (values.weights !== undefined) {
  let text: string;
  try {
    text = readFileSync(values.weights, 'utf8');
  } catch (err) {
    usage(`cannot read --weights ${values.weights}: ${(err as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      usage(`--weights ${values.weights} must hold a JSON object`);
    }
    raw = parsed as Record<string, unknown>;
  } catch (err) {
    usage(`--weights ${values.weights} is not valid JSON: ${(err as Error).message}`);
  }
}
const overrides: Record<string, unknown> = {
  topK: num('top-k', values['top-k']),
  maxMerchantShare: num('max-merchant-share', values['max-merchant-share']),
  recencyHalfLifeDays: num('recency-half-life', values['recency-half-life']),
  normalization: values.normalization,
  windowDays: num('window-days', values['window-days']),
  idfExponent: num('idf-exponent', values['idf-exponent']),
  visitTransform: values['visit-transform'],
  minSharedMerchants: num('min-shared-merchants', values['min-shared-merchants']),
};
const merged: Record<string, unknown> = { ...raw };
for (const [key, value] of Object.entries(overrides)) if (value !== undefined) merged[key] = value;
// a top-k above the default pool size widens the pool rather than failing
if (typeof merged.topK === 'number' && merged.candidatePoolSize === undefined && merged.topK > 200) {
  merged.candidatePoolSize = Math.min(1000, merged.topK);
}
const result = WeightSetSchema.safeParse(merged);
if (!result.success) usage(`invalid weight set:\n${formatIssues(result.error)}`);
const weights: WeightSet = result.data;
const minShared = values['min-shared-merchants'] !== undefined ? weights.minSharedMerchants : 1;
const threads = num('threads', values.threads) ?? availableParallelism();
if (!Number.isInteger(threads) || threads < 0) usage('--threads must be a non-negative integer');
const heavyColumns = num('heavy-columns', values['heavy-columns']);
if (heavyColumns !== undefined && !(Number.isInteger(heavyColumns) && heavyColumns >= 0))
  usage('--heavy-columns must be a non-negative integer');

const tty = process.stderr.isTTY;
function bar(label: string) {
  if (!tty) return undefined;
  const b = new cliProgress.SingleBar(
    { format: `${label.padEnd(6)} [{bar}] {percentage}% | {eta_formatted} left`, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  return b;
}

const timings: Record<string, number> = {};
let t = performance.now();
const lap = (name: string): void => {
  const now = performance.now();
  timings[name] = (now - t) / 1000;
  t = now;
};

try {
  // the raw columns go out of scope once the matrix exists (memory at 1M users)
  const { matrix, userIds, inputRows } = (() => {
    const parseBar = bar('parse');
    parseBar?.start(100, 0);
    // the file's id columns (16 bytes a row) are garbage once mapped, before the matrix is built
    const dense = toDense(
      readAggregateTsv(input, (bytes, total) => parseBar?.update(Math.floor((100 * bytes) / total))),
    );
    parseBar?.stop();
    const rows = dense.columns.user.length;
    lap('parse');
    const built = buildScoringMatrix(dense.columns, weights, { shared: threads > 0, postingOrder: 'user' });
    lap('weight');
    return { matrix: built, userIds: dense.userIds, inputRows: rows };
  })();
  // the inverted index is built with the matrix; this phase is kept for comparable reports
  lap('index');

  const scoreBar = bar('score');
  scoreBar?.start(matrix.userCount, 0);
  const pools = await computeCandidates(matrix, {
    k: weights.topK,
    minSharedMerchants: minShared,
    // the output has no shared-merchant column
    countShared: false,
    threads,
    ...(heavyColumns !== undefined && { heavyColumns }),
    onProgress: (done) => scoreBar?.update(done),
  });
  scoreBar?.stop();
  lap('score');

  const divisor = weights.normalization === 'cosine' || pools.maxOverlap === 0 ? 1 : pools.maxOverlap;
  const writeBar = bar('write');
  writeBar?.start(pools.users.length, 0);
  const rows = await writeTopTsvParallel(out, pools, userIds, divisor, threads, (done) =>
    writeBar?.update(done),
  );
  writeBar?.stop();
  lap('write');

  const s = pools.stats;
  const report = {
    users: matrix.userCount,
    activeUsers: matrix.activeUsers,
    merchants: matrix.merchantCount,
    inputRows,
    nonzeros: matrix.cols.length,
    outputRows: rows,
    threads,
    heavyColumns: heavyColumns ?? chooseHeavyColumns(matrix),
    seconds: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
    totalSeconds: Math.round(Object.values(timings).reduce((a, b) => a + b, 0) * 1000) / 1000,
    postingsScannedShare: s.postingsTotal ? Math.round((s.postingsScanned / s.postingsTotal) * 1e4) / 1e4 : 0,
    postingsScanned: s.postingsScanned,
    postingsTotal: s.postingsTotal,
    verified: s.verified,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stderr.write(`${JSON.stringify(report)}\n`);
} catch (err) {
  if (err instanceof TsvFormatError) {
    process.stderr.write(`score:file: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
