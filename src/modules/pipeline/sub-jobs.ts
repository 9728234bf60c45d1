import { WaitingChildrenError } from 'bullmq';
import type { RunRecord } from '../runs/runs.repository.ts';
import type { PipelineContext, StageJob } from './context.ts';

/** The running job a coordinator's sub-jobs are added under. */
export type ParentJob = { id: string; queue: string };

/**
 * When a coordinator stage (prepare, pair) began. Its job is processed more than once (before
 * and after its sub-jobs), so the first processing records `stages.<stage>.startedAt` and the
 * later ones read it: the stage's seconds span them all.
 */
export async function stageStartedAt(
  ctx: PipelineContext,
  run: RunRecord,
  stage: 'prepare' | 'pair',
): Promise<number> {
  const recorded = (run.stages[stage] as { startedAt?: unknown } | undefined)?.startedAt;
  if (typeof recorded === 'number') return recorded;
  const startedAt = Date.now();
  await ctx.runs.recordStage(run.id, stage, { startedAt });
  return startedAt;
}

/** Seconds (two decimals) since a recorded {@link stageStartedAt}, across processes. */
export const secondsSince = (startedAt: number): number => Math.round((Date.now() - startedAt) / 10) / 100;

/**
 * Runs a coordinator's sub-jobs that are not recorded yet (`pending`). A worker's job adds them
 * as its children (`enqueue`) and waits for them in BullMQ's waiting-children state: this throws
 * WaitingChildrenError, and the job is processed again once they are done. A job that cannot
 * wait (a test's stand-in) runs them itself, one after the other (`inline`).
 */
export async function runSubJobs(
  job: StageJob,
  token: string | undefined,
  pending: readonly number[],
  run: { enqueue: (parent: ParentJob) => Promise<void>; inline: (item: number) => Promise<unknown> },
): Promise<void> {
  if (pending.length === 0) return;
  if (job.id !== undefined && job.queueQualifiedName !== undefined && job.moveToWaitingChildren && token) {
    await run.enqueue({ id: job.id, queue: job.queueQualifiedName });
    if (await job.moveToWaitingChildren(token)) throw new WaitingChildrenError();
    return;
  }
  for (const item of pending) await run.inline(item);
}

/**
 * Once the sub-jobs are done, every one must be recorded: a missing record means one was skipped
 * as stale, and throwing retries the stage.
 */
export function assertRecorded(
  what: string,
  all: readonly number[],
  recorded: Record<string, unknown>,
): void {
  const missing = all.filter((n) => recorded[String(n)] === undefined);
  if (missing.length > 0) throw new Error(`${what} not recorded: ${missing.join(', ')}`);
}
