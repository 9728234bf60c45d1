/**
 * Runs the nightly pipeline now, through the real queues and workers:
 *
 *   npm run nightly -- --date YYYY-MM-DD [--timeout-minutes 120]
 *
 * Enqueues the run of the date (a no-op when it is already active or published), starts workers
 * in this process when no worker is connected, shows a progress bar per stage on a TTY (plain
 * lines otherwise), prints the run's stats and exits 0 when published, 1 when failed.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { z } from 'zod';
import { loadConfig } from '../src/config.ts';
import { closeDeps, createDeps } from '../src/deps.ts';
import { createPipelineRuntime } from '../src/modules/pipeline/runtime.ts';
import type { RunRecord } from '../src/modules/runs/runs.repository.ts';
import { jobId, STAGES, type StageName } from '../src/queue/names.ts';
import { businessDate } from '../src/queue/schedule.ts';

const USAGE = 'usage: npm run nightly -- [--date YYYY-MM-DD] [--timeout-minutes N]';
const Args = z.object({
  date: z.iso.date().optional(),
  'timeout-minutes': z.coerce.number().int().positive().default(120),
});

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const parsed = (() => {
  try {
    const { values } = parseArgs({
      options: { date: { type: 'string' }, 'timeout-minutes': { type: 'string' } },
      strict: true,
    });
    return Args.parse(values);
  } catch (error) {
    return fail(
      error instanceof z.ZodError
        ? error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')
        : (error as Error).message,
    );
  }
})();

const config = loadConfig();
const deps = createDeps(config);
const runtime = createPipelineRuntime(deps);
const date = parsed.date ?? businessDate(deps.clock.now(), config.MATCH_TIMEZONE);

const { run, outcome } = await runtime.runsService.startRun(date, 'cli');
process.stdout.write(`run ${run.id} for ${date}: ${outcome}\n`);
if (outcome !== 'published' && !(await runtime.queues.hasWorkers())) {
  process.stdout.write('no worker connected: starting workers in this process\n');
  runtime.startWorkers();
}

const attempt = typeof run.stages['attempt'] === 'number' ? run.stages['attempt'] : 1;
const tty = process.stdout.isTTY;
const bars = tty
  ? new cliProgress.MultiBar(
      { format: '{stage} [{bar}] {percentage}% {info}', hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    )
  : undefined;
const barOf = new Map(STAGES.map((s) => [s, bars?.create(100, 0, { stage: s.padEnd(8), info: '' })]));
const lastLine = new Map<StageName, string>();

async function stageProgress(current: RunRecord): Promise<Record<StageName, { pct: number; info: string }>> {
  const shards =
    (current.stages['prepare'] as { shards?: number } | undefined)?.shards ?? config.SCORE_SHARDS;
  const progressOf = async (queue: StageName, id: string): Promise<number> => {
    const job = await runtime.queues.queues[queue].getJob(id);
    if (job === undefined) return 0;
    if (await job.isCompleted()) return 100;
    return typeof job.progress === 'number' ? job.progress : 0;
  };
  const shardPcts = await Promise.all(
    Array.from({ length: shards }, (_, s) => progressOf('score', jobId.score(date, s, attempt))),
  );
  const done = Object.keys((current.stages['score'] as { shards?: object } | undefined)?.shards ?? {}).length;
  return {
    prepare: { pct: await progressOf('prepare', jobId.prepare(date, attempt)), info: '' },
    score: {
      pct: Math.round(shardPcts.reduce((a, b) => a + b, 0) / Math.max(1, shards)),
      info: `${String(done)}/${String(shards)} shards`,
    },
    pair: { pct: await progressOf('pair', jobId.pair(date, attempt)), info: '' },
    publish: {
      pct: current.status === 'published' ? 100 : await progressOf('publish', jobId.publish(date, attempt)),
      info: '',
    },
  };
}

const deadline = Date.now() + parsed['timeout-minutes'] * 60_000;
let current: RunRecord;
for (;;) {
  current = await runtime.runsService.get(run.id);
  try {
    const progress = await stageProgress(current);
    for (const stage of STAGES) {
      const { pct, info } = progress[stage];
      if (bars !== undefined) barOf.get(stage)?.update(pct, { info });
      else {
        const line = `${stage} ${String(pct)}% ${info}`.trim();
        if (lastLine.get(stage) !== line) {
          lastLine.set(stage, line);
          process.stdout.write(`${line}\n`);
        }
      }
    }
  } catch {
    // Redis unavailable for a moment: the run goes on, the bars wait.
  }
  if (current.status === 'published' || current.status === 'failed') break;
  if (Date.now() > deadline) break;
  await new Promise((r) => setTimeout(r, 500));
}
bars?.stop();

const stages = current.stages as Record<string, Record<string, unknown> | number | undefined>;
const stageSeconds = Object.fromEntries(
  STAGES.map((s) => {
    const info = stages[s];
    if (s === 'score' && typeof info === 'object') {
      const shards = Object.values((info['shards'] ?? {}) as Record<string, { seconds?: number }>);
      return [s, Math.max(0, ...shards.map((x) => x.seconds ?? 0))];
    }
    return [s, typeof info === 'object' ? (info['seconds'] ?? null) : null];
  }),
);
process.stdout.write(
  `${JSON.stringify(
    {
      runId: current.id,
      date: current.date,
      status: current.status,
      eligibleUsers: current.eligibleUsers,
      pairedUsers: current.pairedUsers,
      coverage: current.coverage,
      meanScore: current.meanScore,
      stageSeconds,
      totalSeconds:
        current.startedAt && current.finishedAt
          ? (current.finishedAt.getTime() - current.startedAt.getTime()) / 1000
          : null,
      error: current.error,
    },
    null,
    2,
  )}\n`,
);
await runtime.close();
await closeDeps(deps);
process.exit(current.status === 'published' ? 0 : 1);
