/**
 * Offline evaluation of a weight set against labelled pairs (design section 7).
 *
 *   npm run evaluate -- --input agg.tsv --labels pairs.tsv [--weights w.json] [--transactions tx.csv]
 *     [--mask m.tsv] [--window-days W] [--negatives 200000] [--seed S] [--threads T] [--json]
 *
 * Scores every labelled pair and a seeded sample of random pairs not labelled 1 with the weight
 * set's full score (overlap from the scoring core; co-presence and spend level from the
 * transactions when given, else 0), and reports the ROC AUC (label-1 pairs against label-0 and
 * sampled pairs, ties as half) and, per user with a tie, precision@1, precision@10 and recall@50
 * of the user's ranked candidates (pool by overlap, re-ranked by the full score). `--mask` pairs
 * leave both the rankings and the negatives. Output: a table, or one JSON object with --json.
 */
import { InputFormatError } from '../src/evaluation/inputs.ts';
import { measure, prepareMatrix } from '../src/evaluation/engine.ts';
import { intFlag, loadDataset, parseCli, progressBar, readWeightSet } from '../src/evaluation/load.ts';
import { TsvFormatError } from '../src/scoring/tsv.ts';

const USAGE = `usage: npm run evaluate -- --input agg.tsv --labels pairs.tsv [--weights w.json] [--transactions tx.csv]
  [--mask m.tsv] [--window-days W] [--negatives 200000] [--seed 1] [--threads T] [--json]`;

function fail(message: string, code = 2): never {
  process.stderr.write(`evaluate: ${message}\n${code === 2 ? `${USAGE}\n` : ''}`);
  process.exit(code);
}

const values = parseCli(
  {
    input: { type: 'string' },
    labels: { type: 'string' },
    weights: { type: 'string' },
    transactions: { type: 'string' },
    mask: { type: 'string' },
    'window-days': { type: 'string' },
    negatives: { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
  USAGE,
  fail,
);

const round = (x: number, digits = 4): number | null =>
  Number.isFinite(x) ? Number(x.toFixed(digits)) : null;

try {
  const input = values.input ?? fail('--input is required');
  const labels = values.labels ?? fail('--labels is required');
  const windowDays = intFlag('window-days', values['window-days'], 1, 4000);
  const weights = readWeightSet(values.weights, windowDays === undefined ? {} : { windowDays });
  const seed = intFlag('seed', values.seed, 0, 2 ** 32 - 1) ?? 1;
  const negatives = intFlag('negatives', values.negatives, 0, 10_000_000) ?? 200_000;
  const threads = intFlag('threads', values.threads, 0, 256);
  const started = performance.now();

  const ds = await loadDataset({
    input,
    labels,
    transactions: values.transactions,
    mask: values.mask,
    seed,
    negatives,
    weights,
  });
  const bar = progressBar('score');
  bar?.start(ds.userCount, 0);
  const prepared = await prepareMatrix(ds, weights, { threads, onProgress: (done) => bar?.update(done) });
  bar?.stop();
  const [metrics] = measure(ds, prepared, weights);
  if (metrics === undefined) throw new Error('one group of metrics');

  const report = {
    users: ds.userCount,
    merchants: ds.dense.columns.merchantCount,
    transactions: ds.transactions?.rows ?? null,
    positives: metrics.positives,
    negatives: { labelled: ds.labelledNegatives, sampled: ds.sampledNegatives },
    maskedPairs: ds.maskedPairs,
    auc: round(metrics.auc),
    rankedUsers: metrics.rankedUsers,
    precisionAt1: round(metrics.precisionAt1),
    precisionAt10: round(metrics.precisionAt10),
    recallAt50: round(metrics.recallAt50),
    components: ds.transactions === null ? ['overlap'] : ['overlap', 'coPresence', 'spendLevel'],
    seed,
    weights,
    seconds: round((performance.now() - started) / 1000, 2),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const lines = [
      `users ${String(report.users)}, merchants ${String(report.merchants)}${report.transactions === null ? '' : `, transactions ${String(report.transactions)}`}`,
      `pairs: ${String(report.positives)} positive, ${String(ds.labelledNegatives)} labelled negative, ${String(ds.sampledNegatives)} sampled negative, ${String(ds.maskedPairs)} masked`,
      `score components: ${report.components.join(', ')}`,
      '',
      `ROC AUC        ${String(report.auc)}`,
      `precision@1    ${String(report.precisionAt1)}   (over ${String(report.rankedUsers)} users with a tie)`,
      `precision@10   ${String(report.precisionAt10)}`,
      `recall@50      ${String(report.recallAt50)}`,
      '',
      `${String(report.seconds)} s`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
} catch (error) {
  if (error instanceof InputFormatError || error instanceof TsvFormatError) fail(error.message, 1);
  throw error;
}
