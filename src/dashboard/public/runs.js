import { COLORS, drawChart } from './charts.js';
import { $, formatShare } from './dom.js';

export const STAGES = ['prepare', 'score', 'pair', 'publish'];

const secondsOfDay = (date) => Date.parse(`${date}T00:00:00Z`) / 1000;

/**
 * Runs over time from `GET /v1/analyst/runs` (newest first there, oldest first here): coverage,
 * mean score, and the seconds of each stage (the score stage's are its slowest shard's).
 * Returns the runs, oldest first.
 */
export async function showRuns(api) {
  const { runs } = await api.get('/v1/analyst/runs?limit=90');
  const chronological = [...runs].reverse();
  const xs = chronological.map((run) => secondsOfDay(run.date));
  const latest = runs[0];
  $('#runs-summary').textContent =
    latest === undefined
      ? 'No nightly run yet.'
      : `${String(runs.length)} runs; latest ${latest.date} (${latest.status}), weight set ${latest.weightSetId}, ` +
        `coverage ${formatShare(latest.coverage)} of ${String(latest.eligibleUsers ?? '–')} eligible users.`;

  drawChart('runs-coverage', {
    title: 'Coverage (share of eligible users paired)',
    xTime: true,
    data: [xs, chronological.map((run) => run.coverage)],
    series: [{ label: 'coverage', stroke: COLORS.evaluated }],
    scales: { y: { range: [0, 1] } },
  });
  drawChart('runs-mean-score', {
    title: 'Mean score of the pairs (0–100)',
    xTime: true,
    data: [xs, chronological.map((run) => run.meanScore)],
    series: [{ label: 'mean score', stroke: COLORS.baseline }],
  });
  drawChart('runs-durations', {
    title: 'Seconds per stage',
    xTime: true,
    data: [xs, ...STAGES.map((stage) => chronological.map((run) => run.stages[stage]?.seconds ?? null))],
    series: STAGES.map((stage, index) => ({ label: stage, stroke: COLORS.stages[index] })),
  });
  return chronological;
}
