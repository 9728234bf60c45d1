import { COLORS, drawChart } from './charts.js';
import { $, formatShare, h } from './dom.js';

const secondsOfDay = (date) => Date.parse(`${date}T00:00:00Z`) / 1000;
const MAX_DAYS = 366;

/**
 * Outcomes from `GET /v1/analyst/metrics/daily` over the days of the runs shown (the API's default
 * window without runs): like and mutual rates per day, and by score decile for a chosen day (the
 * latest with buckets by default). Buckets under K_ANON users never arrive; a day with too few
 * users has none.
 */
export async function showMetrics(api, runs) {
  const dates = runs.map((run) => run.date).sort();
  const from = dates[0];
  const to = dates.at(-1);
  const spanDays = from === undefined ? Infinity : (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  const query = spanDays <= MAX_DAYS ? `?from=${from}&to=${to}` : '';
  const metrics = await api.get(`/v1/analyst/metrics/daily${query}`);
  const days = metrics.days;
  $('#metrics-summary').textContent =
    `${metrics.from} to ${metrics.to}: ${String(days.length)} days with matches; ` +
    `buckets hold at least ${String(metrics.kAnon)} users (K_ANON).`;

  drawChart('metrics-daily', {
    title: 'Like and mutual rates of the users shown a match, per day',
    xTime: true,
    data: [
      days.map((day) => secondsOfDay(day.date)),
      days.map((day) => day.likeRate),
      days.map((day) => day.mutualRate),
    ],
    series: [
      { label: 'like rate', stroke: COLORS.like },
      { label: 'mutual rate', stroke: COLORS.mutual },
    ],
    scales: { y: { range: [0, 1] } },
  });

  const withBuckets = days.filter((day) => day.byScoreDecile.length > 0);
  const select = $('#metrics-day');
  select.replaceChildren(
    ...withBuckets.map((day) =>
      h('option', { value: day.date }, `${day.date} (${String(day.matchedUsers)} users)`),
    ),
  );
  const drawDay = () => drawDeciles(withBuckets.find((day) => day.date === select.value));
  select.onchange = drawDay;
  if (withBuckets.length > 0) select.value = withBuckets.at(-1).date;
  drawDay();
  return metrics;
}

function drawDeciles(day) {
  const buckets = day?.byScoreDecile ?? [];
  drawChart('metrics-deciles', {
    title: `Rates by score decile${day ? `, ${day.date}` : ''}`,
    data: [
      buckets.map((bucket) => (bucket.fromPercentile + bucket.toPercentile) / 2),
      buckets.map((bucket) => bucket.likeRate),
      buckets.map((bucket) => bucket.mutualRate),
    ],
    series: [
      { label: 'like rate', stroke: COLORS.like },
      { label: 'mutual rate', stroke: COLORS.mutual },
    ],
    scales: { x: { range: [0, 100] }, y: { range: [0, 1] } },
    axes: [
      { label: 'score percentile of the day' },
      { size: 64, values: (_plot, ticks) => ticks.map(formatShare) },
    ],
  });
}
