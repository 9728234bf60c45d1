/**
 * Queue names, one per stage so that each scales and is watched on its own, and the
 * deterministic job ids that make a duplicate trigger a no-op.
 *
 * BullMQ 6 refuses a custom id containing ':' unless it has exactly three ':'-separated parts
 * (kept for legacy repeatable jobs), so ids use '.' as separator: `prepare.2026-11-22`,
 * `score.2026-11-22.3`. A re-run of a failed date gets a suffix `.r<attempt>` so that it does not
 * collide with the failed jobs still kept in Redis.
 */
export const QUEUE = {
  nightly: 'nightly',
  prepare: 'prepare',
  score: 'score',
  pair: 'pair',
  publish: 'publish',
  /** Evaluations of weight sets (design section 7): one job per evaluation, apart from the runs. */
  evaluate: 'evaluate',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];
/** The queues of the nightly run: its trigger and its stages. */
export type PipelineQueueName = Exclude<QueueName, 'evaluate'>;
export type StageName = Exclude<PipelineQueueName, 'nightly'>;

export const STAGES: readonly StageName[] = ['prepare', 'score', 'pair', 'publish'];
export const QUEUE_NAMES: readonly QueueName[] = ['nightly', ...STAGES, 'evaluate'];

/** The id of the job scheduler that fires the nightly trigger. */
export const NIGHTLY_SCHEDULER_ID = 'nightly-run';

const suffix = (attempt: number): string => (attempt > 1 ? `.r${String(attempt)}` : '');

export const jobId = {
  prepare: (date: string, attempt: number): string => `prepare.${date}${suffix(attempt)}`,
  preparePart: (date: string, part: number, attempt: number): string =>
    `prepare.${date}.p${String(part)}${suffix(attempt)}`,
  score: (date: string, shard: number, attempt: number): string =>
    `score.${date}.${String(shard)}${suffix(attempt)}`,
  pair: (date: string, attempt: number): string => `pair.${date}${suffix(attempt)}`,
  pairGroup: (date: string, group: number, attempt: number): string =>
    `pair.${date}.g${String(group)}${suffix(attempt)}`,
  publish: (date: string, attempt: number): string => `publish.${date}${suffix(attempt)}`,
  /** The evaluation's own id (a UUID): a second add of the same evaluation is a no-op. */
  evaluate: (evaluationId: string): string => evaluationId,
};
