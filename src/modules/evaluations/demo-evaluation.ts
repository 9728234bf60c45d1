import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from '../../config.ts';
import { signJwt } from '../../plugins/jwt.ts';
import { EvaluationReport, EvaluationStatus, type SetReport } from './evaluations.schemas.ts';

/**
 * The one change the demo evaluates: the stop-merchant share. `src/evaluation/README.md` measured
 * the seed set with `maxMerchantShare` 0.2 instead of 0.05 far better on generated cities, whose
 * neighbourhood shops are visited by more than 5% of a few thousand users.
 */
const DEMO_SHARE = 0.2;
const SEED_SHARE = 0.05;

export type AnalystTourOptions = {
  /** Where the API listens, for the printed curl command and dashboard address. */
  baseUrl: string;
  /** Where lines go (default: stdout). */
  print?: (line: string) => void;
  /**
   * Called with the evaluation's progress (0–100) when it changes, and once with `done` when it
   * has ended, before anything else is printed; default: a printed line per change.
   */
  onProgress?: (percent: number, done: boolean) => void;
  /** The analyst's token subject (default `demo-analyst`). */
  analyst?: string;
  /** The instant the token is issued at (default: now). */
  now?: Date;
  /** How often the evaluation is polled (default 500 ms) and for how long at most (default 30 min). */
  pollMs?: number;
  timeoutMs?: number;
};

export type AnalystTourResult = {
  activeWeightSetId: string;
  weightSetId: string;
  /** True when a set of an earlier demo with the same change was evaluated again. */
  reusedWeightSet: boolean;
  evaluationId: string;
  status: EvaluationStatus;
  error: string | null;
  report: EvaluationReport | null;
};

// The API's answers, parsed for the fields the tour reads (dates stay strings over HTTP).
const WeightSetBrief = z.object({
  id: z.string(),
  name: z.string(),
  parentId: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  active: z.boolean(),
});
const WeightSetList = z.object({ weightSets: z.array(WeightSetBrief) });
const WeightSetCreated = z.object({ weightSet: WeightSetBrief });
const EvaluationCreated = z.object({ evaluationId: z.string() });
const EvaluationPoll = z.object({
  status: EvaluationStatus,
  progress: z.number(),
  error: z.string().nullable(),
  report: EvaluationReport.nullable(),
});

const percent = (share: number | null): string => (share === null ? '-' : `${(100 * share).toFixed(1)} %`);
const decimal = (value: number | null, digits: number): string =>
  value === null ? '-' : value.toFixed(digits);

/** `lo–hi: pairs` of the lowest (`bottom`) or highest (`top`) bucket that is neither suppressed nor empty. */
export function edgeBucket(histogram: SetReport['scoreHistogram'], end: 'bottom' | 'top'): string {
  const indices = histogram.counts.map((_, i) => i);
  if (end === 'top') indices.reverse();
  const i = indices.find((b) => (histogram.counts[b] ?? 0) > 0);
  if (i === undefined) return '-';
  const [lo, hi] = [histogram.edges[i] ?? 0, histogram.edges[i + 1] ?? 1];
  return `${lo.toFixed(1)}–${hi.toFixed(1)}: ${String(histogram.counts[i])}`;
}

const outcomeCell = (set: SetReport): string =>
  set.outcomes.auc === null
    ? `n/a (${String(set.outcomes.shownMatches)} shown)`
    : `${set.outcomes.auc.toFixed(3)} (${String(set.outcomes.shownMatches)} shown)`;

/**
 * The report side by side, one row per figure: label, then the baseline's (active set's) value,
 * then the evaluated set's. Every value is the API's figure, rounded for reading.
 */
export function reportTable(report: EvaluationReport): string[] {
  const { evaluated } = report;
  const baseline = report.baseline ?? evaluated;
  const row = (label: string, cell: (set: SetReport) => string): string =>
    `${label.padEnd(30)}${cell(baseline).padStart(18)}${cell(evaluated).padStart(18)}`;
  const rows = [
    row('weight set', (set) => `${set === evaluated ? 'new' : 'active'} #${set.weightSetId}`),
    row('eligible users', (set) => String(set.eligibleUsers)),
    row('coverage', (set) => percent(set.coverage)),
    row('mean score', (set) => decimal(set.meanScore, 1)),
    row(`exposure Gini (${String(evaluated.exposure.days)} days)`, (set) => decimal(set.exposure.gini, 3)),
    row('pairs identical to active', (set) => percent(set.identicalToActiveShare)),
  ];
  // Outcomes are the same past matches for both sets: without a decision there is nothing to score.
  if (evaluated.outcomes.shownMatches === 0) {
    rows.push(`${'outcomes AUC'.padEnd(30)}${'no decided matches yet'.padStart(36)}`);
  } else {
    rows.push(row('outcomes AUC', outcomeCell));
  }
  if (evaluated.outcomes.shownMatches > 0 && [baseline, evaluated].some((set) => set.outcomes.auc === null)) {
    rows.push('  (AUC n/a: it needs mutual and other decided matches among at least K_ANON users)');
  }
  rows.push(
    row('lowest-score bucket', (set) => edgeBucket(set.scoreHistogram, 'bottom')),
    row('highest-score bucket', (set) => edgeBucket(set.scoreHistogram, 'top')),
  );
  return rows;
}

/**
 * The analyst's loop of the demo, through the API only (`app.inject`, as an analyst): reads the
 * active weight set, creates a child differing in `maxMerchantShare` (or reuses the one an earlier
 * demo created), evaluates it with the active set as baseline on the `evaluate` queue (a worker
 * must be running), waits for it and prints the two sets side by side. It never activates the
 * set: the next nightly run stays on the active one; it prints the command that would.
 */
export async function playAnalystTour(
  app: FastifyInstance,
  config: Pick<Config, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
  options: AnalystTourOptions,
): Promise<AnalystTourResult> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  let printed = -1;
  const onProgress =
    options.onProgress ??
    ((p: number) => {
      if (p !== printed) print(`  evaluating: ${String(p)} %`);
      printed = p;
    });
  const pollMs = options.pollMs ?? 500;
  const timeoutMs = options.timeoutMs ?? 30 * 60_000;
  const token = signJwt(
    { sub: options.analyst ?? 'demo-analyst', role: 'analyst' },
    { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE },
    { now: options.now ?? new Date(), ttlSeconds: 12 * 3600 },
  );
  const headers = { authorization: `Bearer ${token}` };
  const call = async <T>(
    method: 'GET' | 'POST',
    url: string,
    expected: number,
    schema: z.ZodType<T>,
    payload?: unknown,
  ): Promise<T> => {
    const response = await app.inject({
      method,
      url,
      headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      ...(payload !== undefined && { payload: JSON.stringify(payload) }),
    });
    if (response.statusCode !== expected) {
      throw new Error(`${method} ${url} answered ${String(response.statusCode)}: ${response.body}`);
    }
    return schema.parse(response.json());
  };

  const { weightSets } = await call('GET', '/v1/analyst/weight-sets', 200, WeightSetList);
  const active = weightSets.find((s) => s.active);
  if (active === undefined) throw new Error('no active weight set');
  const share = active.params['maxMerchantShare'] === DEMO_SHARE ? SEED_SHARE : DEMO_SHARE;
  const name = `demo: stop share ${String(share)}`;
  print(
    `Active weight set ${active.id} (${active.name}), stop share ${String(active.params['maxMerchantShare'])}`,
  );

  const earlier = weightSets.find(
    (s) => !s.active && s.name === name && s.parentId === active.id && s.params['maxMerchantShare'] === share,
  );
  const child =
    earlier ??
    (
      await call('POST', '/v1/analyst/weight-sets', 201, WeightSetCreated, {
        name,
        parentId: active.id,
        params: { ...active.params, maxMerchantShare: share },
        note:
          'maxMerchantShare 0.2 instead of 0.05: the offline evaluation (src/evaluation/README.md) ' +
          'found it better on generated cities, whose neighbourhood shops reach more than 5% of users',
      })
    ).weightSet;
  print(
    `${earlier === undefined ? 'Created' : 'Reusing'} weight set ${child.id} (${child.name}): ` +
      `maxMerchantShare ${String(active.params['maxMerchantShare'])} -> ${String(share)}, nothing else`,
  );

  const { evaluationId } = await call('POST', '/v1/analyst/evaluations', 202, EvaluationCreated, {
    weightSetId: child.id,
    baselineWeightSetId: active.id,
  });
  print(`Evaluation ${evaluationId} queued on the evaluate queue, the active set as baseline`);

  const deadline = Date.now() + timeoutMs;
  let shown = -1;
  let poll: z.infer<typeof EvaluationPoll>;
  for (;;) {
    poll = await call('GET', `/v1/analyst/evaluations/${evaluationId}`, 200, EvaluationPoll);
    const done = poll.status === 'completed' || poll.status === 'failed';
    if (poll.progress !== shown || done) {
      shown = poll.progress;
      onProgress(poll.progress, done);
    }
    if (done) break;
    if (Date.now() > deadline) {
      throw new Error(`evaluation ${evaluationId} still ${poll.status} after ${String(timeoutMs)} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }

  const result = {
    activeWeightSetId: active.id,
    weightSetId: child.id,
    reusedWeightSet: earlier !== undefined,
    evaluationId,
    status: poll.status,
    error: poll.error,
    report: poll.report,
  };
  if (poll.report === null) {
    print(`The evaluation ${poll.status}: ${poll.error ?? 'no report'}`);
    return result;
  }
  print('Side by side (active set, then the new set):');
  for (const line of reportTable(poll.report)) print(`  ${line}`);
  print(`Not activated: tonight's run stays on set ${active.id}. To ship set ${child.id}:`);
  print(
    `  curl -s -X POST ${options.baseUrl}/v1/analyst/weight-sets/${child.id}/activate -H "authorization: Bearer ${token}"`,
  );
  print(`Plots of this evaluation (histogram, Lorenz curve, deciles): ${options.baseUrl}/analyst`);
  return result;
}
