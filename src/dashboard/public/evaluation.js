/* global setTimeout */
import { describeError } from './api.js';
import { COLORS, drawChart } from './charts.js';
import { $, formatNumber, formatShare, h } from './dom.js';

const BASE = '/v1/analyst/evaluations';
const POLL_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * "Evaluate against active": `POST /v1/analyst/evaluations` with the active set as the baseline,
 * then `GET …/{id}` every half second, showing the job's progress, until the report is there; then
 * the two sets side by side: figures, score histograms, Lorenz curves of exposure, and mutual-like
 * rates of past matches by decile of each set's score.
 */
export function createEvaluationSection(api) {
  let sets = [];
  const status = (text) => {
    $('#evaluation-status').textContent = text;
  };

  function setWeightSets(weightSets) {
    sets = weightSets;
    const select = $('#evaluate-set');
    const previous = select.value;
    select.replaceChildren(
      ...weightSets.map((set) =>
        h('option', { value: set.id }, `v${String(set.version)} ${set.name}${set.active ? ' (active)' : ''}`),
      ),
    );
    const firstInactive = weightSets.find((set) => !set.active);
    select.value = weightSets.some((set) => set.id === previous) ? previous : (firstInactive?.id ?? '');
  }

  /** Polls one evaluation until it completes (then plots it) or fails. */
  async function follow(evaluationId) {
    const progress = $('#evaluation-progress');
    progress.hidden = false;
    for (;;) {
      const evaluation = await api.get(`${BASE}/${evaluationId}`);
      progress.value = evaluation.progress;
      status(`${evaluation.status}, ${String(evaluation.progress)} %`);
      if (evaluation.status === 'failed')
        throw new Error(`the evaluation failed: ${evaluation.error ?? 'no reason'}`);
      if (evaluation.status === 'completed' && evaluation.report !== null) {
        const against = evaluation.baselineWeightSetId ?? 'nothing';
        status(`completed: weight set ${evaluation.weightSetId} against ${against}`);
        $('#evaluation').dataset.evaluationId = evaluation.id;
        showReport(evaluation.report);
        return;
      }
      await sleep(POLL_MS);
    }
  }

  /** Earlier evaluations (`GET /v1/analyst/evaluations`, newest first), to reopen one. */
  async function loadHistory() {
    const { evaluations } = await api.get(BASE);
    const select = $('#evaluation-history');
    select.replaceChildren(
      h('option', { value: '' }, `${String(evaluations.length)} earlier evaluations`),
      ...evaluations.map((e) =>
        h(
          'option',
          { value: e.id },
          `${new Date(e.createdAt).toISOString().slice(0, 16).replace('T', ' ')}: set ${e.weightSetId}` +
            ` against ${e.baselineWeightSetId ?? 'nothing'} (${e.status})`,
        ),
      ),
    );
  }

  async function run(task) {
    const button = $('#evaluate');
    button.disabled = true;
    try {
      await task();
    } catch (error) {
      status(describeError(error));
    } finally {
      button.disabled = false;
      await loadHistory().catch((error) => status(describeError(error)));
    }
  }

  const evaluate = () =>
    run(async () => {
      const active = sets.find((set) => set.active);
      const { evaluationId } = await api.post(BASE, {
        weightSetId: $('#evaluate-set').value,
        ...(active !== undefined && { baselineWeightSetId: active.id }),
      });
      await follow(evaluationId);
    });

  $('#evaluate').addEventListener('click', () => void evaluate());
  $('#evaluation-history').addEventListener('change', (event) => {
    const id = event.target.value;
    if (id !== '') void run(() => follow(id));
  });
  return { setWeightSets, loadHistory };
}

const ROWS = [
  ['eligible users', (r) => String(r.eligibleUsers)],
  ['paired users (day 1)', (r) => String(r.pairedUsers)],
  ['coverage', (r) => formatShare(r.coverage)],
  ['mean score', (r) => formatNumber(r.meanScore, 1)],
  ['exposure Gini', (r) => formatNumber(r.exposure.gini)],
  ['pairs identical to the active set', (r) => formatShare(r.identicalToActiveShare)],
  ['past shown matches', (r) => String(r.outcomes.shownMatches)],
  ['ROC AUC (mutual like)', (r) => formatNumber(r.outcomes.auc)],
];

function showReport({ evaluated, baseline }) {
  const reports = baseline === null ? [evaluated] : [evaluated, baseline];
  const names = [
    `evaluated (set ${evaluated.weightSetId})`,
    ...(baseline ? [`active (set ${baseline.weightSetId})`] : []),
  ];
  const table = $('#evaluation-summary');
  table.replaceChildren(
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, ''),
        names.map((name) => h('th', {}, name)),
      ),
    ),
    h(
      'tbody',
      {},
      ROWS.map(([label, value]) =>
        h(
          'tr',
          {},
          h('th', {}, label),
          reports.map((report) => h('td', { class: 'number' }, value(report))),
        ),
      ),
    ),
  );
  table.hidden = false;
  const series = (label) => [
    // Wider, and drawn first: where the two sets agree the evaluated one still shows under the active one.
    { label: `${label}: evaluated`, stroke: COLORS.evaluated, width: 4 },
    ...(baseline ? [{ label: `${label}: active`, stroke: COLORS.baseline }] : []),
  ];

  const edges = evaluated.scoreHistogram.edges;
  drawChart('evaluation-histogram', {
    title: 'Pair scores (day 1); a missing bar is suppressed (fewer than K_ANON users)',
    bars: true,
    data: [
      edges.slice(0, -1).map((edge, i) => (edge + edges[i + 1]) / 2),
      ...reports.map((r) => r.scoreHistogram.counts),
    ],
    series: series('pairs'),
    scales: { x: { range: [0, 1] } },
    axes: [{ label: 'score' }, { label: 'pairs' }],
  });

  // The curves have their own points: plot them over the union of their x values, gaps spanned.
  const xs = [...new Set(reports.flatMap((r) => r.exposure.lorenz.population))].sort((a, b) => a - b);
  const curveOf = (report) => {
    const at = new Map(
      report.exposure.lorenz.population.map((x, i) => [x, report.exposure.lorenz.exposure[i]]),
    );
    return xs.map((x) => at.get(x) ?? null);
  };
  drawChart('evaluation-lorenz', {
    title: `Lorenz curve of exposure over ${String(evaluated.exposure.days)} simulated days`,
    data: [xs, ...reports.map(curveOf), xs],
    series: [
      ...series('Lorenz'),
      { label: 'equality', stroke: COLORS.neutral, dash: [4, 4], points: { show: false } },
    ],
    scales: { x: { range: [0, 1] }, y: { range: [0, 1] } },
    axes: [{ label: 'share of users, least paired first' }, { label: 'share of pairings' }],
  });

  drawChart('evaluation-outcomes', {
    title: 'Mutual-like rate of past matches by decile of the score',
    data: [
      evaluated.outcomes.deciles.map((d) => d.decile),
      ...reports.map((r) => alignDeciles(evaluated.outcomes.deciles, r.outcomes.deciles)),
    ],
    series: series('mutual rate'),
    scales: { x: { range: [0.5, 10.5] }, y: { range: [0, 1] } },
    axes: [{ label: 'score decile' }, { label: 'mutual-like rate' }],
  });
}

const alignDeciles = (reference, deciles) =>
  reference.map((r) => deciles.find((d) => d.decile === r.decile)?.mutualRate ?? null);
