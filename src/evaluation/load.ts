import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import cliProgress from 'cli-progress';
import type { z } from 'zod';
import { WeightSetSchema, type WeightSet } from '../core/scoring/index.ts';
import { readAggregateTsv, toDense } from '../scoring/tsv.ts';
import { buildDataset, type Dataset } from './dataset.ts';
import { InputFormatError, readPairsTsv, readTransactionsCsv } from './inputs.ts';

/**
 * The command line of an evaluation CLI: `parseArgs` (strict, no positionals) with `--help`
 * (prints `usage`, exits 0); a malformed line goes to `fail` (usage error, exit 2).
 */
export function parseCli<const O extends ParseArgsOptionsConfig>(
  options: O,
  usage: string,
  fail: (message: string) => never,
): ParsedValues<O> {
  const config = {
    options: { ...options, help: { type: 'boolean', default: false } } as const,
    strict: true,
    allowPositionals: false,
  } as const;
  let values: ParsedValues<O> & { help?: boolean | undefined };
  try {
    values = parseArgs(config).values;
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  return values;
}

/** The options of `parseArgs` (the type is not exported under its own name). */
type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The parsed flags of a strict, positional-free command line with these options. */
type ParsedValues<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values'];

/** A progress bar on stderr when it is a terminal; otherwise nothing (no noise in logs or pipes). */
export function progressBar(label: string, withEta = true): cliProgress.SingleBar | undefined {
  if (process.stderr.isTTY !== true) return undefined;
  return new cliProgress.SingleBar(
    {
      format: `${label.padEnd(9)} [{bar}] {percentage}% | {value}/{total}${withEta ? ' | {eta_formatted} left' : ''}`,
      stream: process.stderr,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
}

export const formatIssues = (error: z.ZodError): string =>
  error.issues.map((i) => `  ${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`).join('\n');

/**
 * Reads a weight set from JSON: either the parameters themselves or a body of
 * `POST /v1/analyst/weight-sets` (`{ name, params, ... }`), validated by the scoring schema.
 */
export function readWeightSet(path: string | undefined, overrides: Record<string, unknown> = {}): WeightSet {
  let raw: unknown = {};
  if (path !== undefined) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new InputFormatError(`cannot read weights ${path}: ${(error as Error).message}`);
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InputFormatError(`weights ${String(path)} must hold a JSON object`);
  }
  const params = 'params' in raw ? raw.params : raw;
  const merged = { ...(params as Record<string, unknown>), ...overrides };
  const result = WeightSetSchema.safeParse(merged);
  if (!result.success) throw new InputFormatError(`invalid weight set:\n${formatIssues(result.error)}`);
  return result.data;
}

export type LoadOptions = {
  input: string;
  labels: string;
  transactions?: string | undefined;
  mask?: string | undefined;
  seed: number;
  negatives: number;
  weights: Pick<WeightSet, 'windowDays' | 'minAmountCents'>;
};

/** Reads every input file and builds the data set, with a progress bar per file on a terminal. */
export async function loadDataset(options: LoadOptions): Promise<Dataset> {
  const aggBar = progressBar('agg');
  aggBar?.start(100, 0);
  const file = readAggregateTsv(options.input, (bytes, total) =>
    aggBar?.update(Math.floor((100 * bytes) / total)),
  );
  aggBar?.stop();
  const dense = toDense(file);
  const labels = readPairsTsv(options.labels);
  const mask = options.mask === undefined ? null : readPairsTsv(options.mask, { labelOptional: true });
  let transactions = null;
  if (options.transactions !== undefined) {
    const path = options.transactions;
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(path));
    const txBar = progressBar('tx');
    txBar?.start(size, 0);
    transactions = await readTransactionsCsv(path, (bytes) => txBar?.update(Math.min(bytes, size)));
    txBar?.stop();
  }
  return buildDataset(dense, labels, mask, transactions, {
    seed: options.seed,
    negatives: options.negatives,
    windowDays: options.weights.windowDays,
    minAmountCents: options.weights.minAmountCents,
  });
}

/** An integer flag: undefined when absent; throws with the flag's name when malformed or out of range. */
export function intFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new InputFormatError(
      `--${name} must be an integer in ${String(min)}..${String(max)}, got "${value}"`,
    );
  }
  return n;
}
