import uPlot from '/analyst/vendor/uplot/uPlot.esm.js';
import { $, h } from './dom.js';

// Every chart is a uPlot instance in an element `[data-chart=name]`. Once uPlot has drawn it, the
// element carries what it drew: `data-points` (x values), `data-series` (y series) and
// `data-values` (the y series as JSON), so a reader or a test can check it against the API.

export const COLORS = {
  evaluated: '#d9480f',
  baseline: '#1c7ed6',
  like: '#f08c00',
  mutual: '#c2255c',
  neutral: '#868e96',
  stages: ['#1c7ed6', '#2b8a3e', '#f08c00', '#862e9c'],
};

const plots = new Map();

const DAY = 86_400;
/** Runs and metrics are per business day: ticks fall on whole days and read as dates. */
const DATE_AXIS = {
  incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 365 * DAY],
  values: (_plot, ticks) => ticks.map((tick) => new Date(tick * 1000).toISOString().slice(0, 10)),
};

/**
 * Draws `data` (`[xs, ys1, ys2, …]`, uPlot's columnar layout; null is a gap) into the chart
 * `name`, replacing what was there. `series` describes ys1… (label, stroke, and so on).
 */
export function drawChart(name, { title, data, series, scales = {}, axes, xTime = false, bars = false }) {
  const element = $(`[data-chart="${name}"]`);
  plots.get(name)?.destroy();
  plots.delete(name);
  element.replaceChildren();
  element.dataset.drawn = 'false';
  const xs = data[0];
  if (xs.length === 0) {
    element.append(h('p', { class: 'empty' }, `${title}: no data yet`));
    Object.assign(element.dataset, { points: '0', series: '0', values: '[]', drawn: 'true' });
    return;
  }
  // Grouped bars: with two series, one to the left of each x and one to the right.
  const barsOf = (index) =>
    uPlot.paths.bars({
      size: [series.length === 2 ? 0.4 : 0.8, 80],
      align: series.length === 2 ? (index === 0 ? -1 : 1) : 0,
    });
  const options = {
    title,
    width: Math.max(360, Math.floor(element.getBoundingClientRect().width) || 560),
    height: 260,
    scales: { ...scales, x: { time: xTime, ...scales.x } },
    series: [
      { label: xTime ? 'date' : 'x' },
      ...series.map((s, index) => ({
        spanGaps: true,
        width: 2,
        points: { show: true, size: 6 },
        ...(bars && { paths: barsOf(index), fill: `${s.stroke}99`, points: { show: false } }),
        ...s,
      })),
    ],
    ...((axes ?? xTime) && { axes: axes ?? [DATE_AXIS, { size: 56 }] }),
    // Room on the right for the last date label, centred on the last day.
    ...(xTime && { padding: [12, 36, 0, 0] }),
    hooks: {
      draw: [
        () => {
          Object.assign(element.dataset, {
            points: String(xs.length),
            series: String(series.length),
            values: JSON.stringify(data.slice(1)),
            drawn: 'true',
          });
        },
      ],
    },
  };
  plots.set(name, new uPlot(options, data, element));
}
