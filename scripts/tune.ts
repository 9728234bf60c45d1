/**
 * Searches the weight space against labelled pairs (design section 7) with a held-out split.
 *
 *   npm run tune -- --input agg.tsv --labels pairs.tsv [--transactions tx.csv] [--mask m.tsv]
 *     [--grid grid.json] [--out best.json] [--objective auc|precisionAt10|recallAt50]
 *     [--holdout 0.3] [--negatives 200000] [--seed S] [--top 10] [--threads T] [--json]
 *
 * The users are split (seeded) into a tuning part and a held-out part; every configuration is
 * scored on both, ranked by the objective on the tuning part, and the best ones are printed with
 * both sides' metrics, so the analyst sees how much of a gain survives on unseen users. The
 * winner is written as a body that POST /v1/analyst/weight-sets accepts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Metrics } from '../src/evaluation/engine.ts';
import { InputFormatError } from '../src/evaluation/inputs.ts';
import { formatIssues, intFlag, loadDataset, parseCli, progressBar } from '../src/evaluation/load.ts';
import {
  DEFAULT_GRID,
  expandGrid,
  GridError,
  GridSchema,
  OBJECTIVES,
  splitUsers,
  tune,
  type Grid,
  type Objective,
  type TuneResult,
} from '../src/evaluation/tune.ts';
import { TsvFormatError } from '../src/scoring/tsv.ts';

const USAGE = `usage: npm run tune -- --input agg.tsv --labels pairs.tsv [--transactions tx.csv] [--mask m.tsv]
  [--grid grid.json] [--out best.json] [--objective auc|precisionAt10|recallAt50] [--holdout 0.3]
  [--negatives 200000] [--seed 1] [--top 10] [--threads T] [--json]`;

function fail(message: string, code = 2): never {
  process.stderr.write(`tune: ${message}\n${code === 2 ? `${USAGE}\n` : ''}`);
  process.exit(code);
}

const values = parseCli(
  {
    input: { type: 'string' },
    labels: { type: 'string' },
    transactions: { type: 'string' },
    mask: { type: 'string' },
    grid: { type: 'string' },
    out: { type: 'string' },
    objective: { type: 'string', default: 'auc' },
    holdout: { type: 'string', default: '0.3' },
    negatives: { type: 'string' },
    seed: { type: 'string' },
    top: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  USAGE,
  fail,
);

function readGrid(path: string | undefined): Grid {
  if (path === undefined) return DEFAULT_GRID;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputFormatError(`cannot read --grid ${path}: ${(error as Error).message}`);
  }
  const result = GridSchema.safeParse(raw);
  if (!result.success) throw new InputFormatError(`invalid grid ${path}:\n${formatIssues(result.error)}`);
  return result.data;
}

const r4 = (x: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);
const cell = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '  -   ');
const metricsJson = (m: Metrics) => ({
  auc: r4(m.auc),
  precisionAt1: r4(m.precisionAt1),
  precisionAt10: r4(m.precisionAt10),
  recallAt50: r4(m.recallAt50),
  positives: m.positives,
  rankedUsers: m.rankedUsers,
});

function table(results: TuneResult[]): string {
  const head = [
    '#'.padStart(3),
    'visits'.padEnd(6),
    'idf'.padStart(4),
    'norm'.padEnd(6),
    'stop'.padStart(5),
    'blend o/c/s'.padEnd(14),
    'cpMin'.padStart(5),
    '| tune auc',
    'p@10  ',
    'r@50  ',
    '| held auc',
    'p@10  ',
    'r@50',
  ].join(' ');
  const rows = results.map((r, i) => {
    const w = r.weights;
    return [
      String(i + 1).padStart(3),
      w.visitTransform.padEnd(6),
      String(w.idfExponent).padStart(4),
      w.normalization.padEnd(6),
      String(w.maxMerchantShare).padStart(5),
      `${String(w.blend.overlap)}/${String(w.blend.coPresence)}/${String(w.blend.spendLevel)}`.padEnd(14),
      (w.blend.coPresence > 0 ? String(w.coPresenceMinutes) : '-').padStart(5),
      `|  ${cell(r.tune.auc)}`,
      cell(r.tune.precisionAt10),
      cell(r.tune.recallAt50),
      `|   ${cell(r.holdout.auc)}`,
      cell(r.holdout.precisionAt10),
      cell(r.holdout.recallAt50),
    ].join(' ');
  });
  return [head, ...rows].join('\n');
}

try {
  const input = values.input ?? fail('--input is required');
  const labels = values.labels ?? fail('--labels is required');
  if (!(OBJECTIVES as readonly string[]).includes(values.objective)) {
    fail(`--objective must be one of ${OBJECTIVES.join(', ')}`);
  }
  const objective = values.objective as Objective;
  const holdout = Number(values.holdout);
  if (!(holdout > 0 && holdout < 1)) fail('--holdout must be a share strictly between 0 and 1');
  const seed = intFlag('seed', values.seed, 0, 2 ** 32 - 1) ?? 1;
  const negatives = intFlag('negatives', values.negatives, 0, 10_000_000) ?? 200_000;
  const top = intFlag('top', values.top, 1, 1000) ?? 10;
  const threads = intFlag('threads', values.threads, 0, 256);
  const grid = readGrid(values.grid);
  const groups = expandGrid(grid);
  const total = groups.reduce((n, g) => n + g.sets.length, 0);
  const first = groups[0]?.matrix;
  if (first === undefined) fail('the grid is empty', 1);
  const started = performance.now();

  const ds = await loadDataset({
    input,
    labels,
    transactions: values.transactions,
    mask: values.mask,
    seed,
    negatives,
    weights: first,
  });
  const groupOf = splitUsers(ds.userCount, seed, holdout);
  process.stderr.write(
    `tune: ${String(total)} configurations over ${String(groups.length)} feature matrices, ${String(ds.userCount)} users (${String(Math.round(holdout * 100))}% held out)\n`,
  );
  const bar = progressBar('configs');
  bar?.start(total, 0);
  const results = await tune(ds, groups, {
    groupOf,
    objective,
    threads,
    onConfig: (done) => bar?.update(done),
  });
  bar?.stop();
  const best = results[0];
  if (best === undefined) fail('no configuration was evaluated', 1);

  if (values.out !== undefined) {
    const body = {
      name: `tuned ${objective} ${cell(best.tune[objective])}`,
      params: best.weights,
      note: `npm run tune: ${objective} ${cell(best.tune[objective])} on the tuning users, ${cell(best.holdout[objective])} held out (seed ${String(seed)}, ${String(total)} configurations)`,
    };
    writeFileSync(values.out, `${JSON.stringify(body, null, 2)}\n`);
  }
  const seconds = r4((performance.now() - started) / 1000);
  if (values.json) {
    const json = {
      configurations: total,
      featureMatrices: groups.length,
      objective,
      seed,
      holdout,
      seconds,
      best: results
        .slice(0, top)
        .map((r) => ({ weights: r.weights, tune: metricsJson(r.tune), holdout: metricsJson(r.holdout) })),
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    process.stdout.write(
      `${table(results.slice(0, top))}\n\nbest by ${objective} on the tuning users; ${String(total)} configurations in ${String(seconds)} s${values.out === undefined ? '' : `; winner written to ${values.out}`}\n`,
    );
  }
} catch (error) {
  if (error instanceof InputFormatError || error instanceof TsvFormatError || error instanceof GridError) {
    fail(error.message, 1);
  }
  throw error;
}
