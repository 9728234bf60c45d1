import { FlowProducer, Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createQueueConnection, type QueueConfig } from './connection.ts';
import { jobId, QUEUE, QUEUE_NAMES, type QueueName } from './names.ts';
import { PAYLOADS, type EvaluateJobPayload, type PayloadOf, type StagePayload } from './payloads.ts';

/**
 * Retries ride out a Postgres or Redis restart (1 s, 2 s, 4 s … 64 s); completed and failed jobs
 * are kept a week so that a duplicate add with the same deterministic id stays a no-op.
 */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 7 * 86_400, count: 10_000 },
  removeOnFail: { age: 30 * 86_400 },
};

/**
 * An evaluation is retried twice (a Postgres or Redis restart); a deterministic failure is an
 * UnrecoverableError and fails at once. Its row then says `failed`, so an analyst never waits on it.
 */
export const EVALUATE_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 7 * 86_400, count: 1_000 },
  removeOnFail: { age: 30 * 86_400 },
};

export type PipelineQueues = {
  connection: Redis;
  queues: { [Q in QueueName]: Queue };
  flow: FlowProducer;
  /** Adds the prepare job of a run (a no-op while a job with its id is waiting or running). */
  enqueuePrepare: (payload: StagePayload) => Promise<void>;
  /**
   * Adds the flow publish ← pair ← score shards of a run. A no-op while its publish job is
   * waiting or running: the flow is added atomically, so the children exist too.
   */
  enqueueFlow: (payload: StagePayload, shards: number) => Promise<void>;
  /**
   * Adds one prepare job per part (hash partition) as children of the running prepare job
   * `parent`, which then waits for them (prepare.jobs.ts). A part job still waiting or running
   * is kept.
   */
  enqueuePrepareParts: (
    payload: StagePayload,
    parts: readonly number[],
    parent: { id: string; queue: string },
  ) => Promise<void>;
  /**
   * Adds one pair job per group of cities as children of the running pair job `parent`, which
   * then waits for them (pair.jobs.ts). A group job still waiting or running is kept.
   */
  enqueuePairGroups: (
    payload: StagePayload,
    groups: readonly number[],
    parent: { id: string; queue: string },
  ) => Promise<void>;
  /**
   * Adds the job of an evaluation under the evaluation's id (a no-op while it is waiting or
   * running). Callers enqueue only evaluations that Postgres says are queued or running.
   */
  enqueueEvaluation: (payload: EvaluateJobPayload) => Promise<void>;
  /** Whether any worker is connected to the stage queues. */
  hasWorkers: () => Promise<boolean>;
  close: () => Promise<void>;
};

/**
 * Callers enqueue only for runs that Postgres says still need the stage. A finished job under the
 * same deterministic id is then stale (left in Redis by a database that was reset, or skipped as
 * stale by its processor): it is removed, with its children, so that the add is not swallowed.
 * A job still waiting or running is kept, and the add stays a no-op.
 */
async function removeIfFinished(queue: Queue, id: string): Promise<void> {
  const job = await queue.getJob(id);
  if (job === undefined) return;
  const state = await job.getState();
  if (state === 'completed' || state === 'failed') await job.remove({ removeChildren: true });
}

/** Adds a child job under `id` to the running job `parent`, whose failure it fails. */
async function addChild(
  queue: Queue,
  data: object,
  id: string,
  parent: { id: string; queue: string },
): Promise<void> {
  await removeIfFinished(queue, id);
  await queue.add(queue.name, data, { ...DEFAULT_JOB_OPTIONS, jobId: id, parent, failParentOnFailure: true });
}

function validated<Q extends QueueName>(queue: Q, data: PayloadOf<Q>): PayloadOf<Q> {
  return PAYLOADS[queue].parse(data) as PayloadOf<Q>;
}

export function createPipelineQueues(
  config: QueueConfig,
  log: Pick<Logger, 'warn'>,
  role: 'worker' | 'producer' = 'producer',
): PipelineQueues {
  const connection = createQueueConnection(config, log, role);
  const common = { connection, prefix: config.QUEUE_PREFIX };
  const queues = Object.fromEntries(
    QUEUE_NAMES.map((name) => [name, new Queue(name, { ...common, defaultJobOptions: DEFAULT_JOB_OPTIONS })]),
  ) as { [Q in QueueName]: Queue };
  const flow = new FlowProducer(common);

  return {
    connection,
    queues,
    flow,
    async enqueuePrepare(payload) {
      const data = validated(QUEUE.prepare, payload);
      await removeIfFinished(queues.prepare, jobId.prepare(data.date, data.attempt));
      await queues.prepare.add(QUEUE.prepare, data, {
        ...DEFAULT_JOB_OPTIONS,
        jobId: jobId.prepare(data.date, data.attempt),
      });
    },
    async enqueueFlow(payload, shards) {
      const data = validated(QUEUE.publish, payload);
      const publishId = jobId.publish(data.date, data.attempt);
      await removeIfFinished(queues.publish, publishId);
      if ((await queues.publish.getJob(publishId)) !== undefined) return;
      const child = { ...DEFAULT_JOB_OPTIONS, failParentOnFailure: true };
      await flow.add({
        name: QUEUE.publish,
        queueName: QUEUE.publish,
        data,
        opts: { ...DEFAULT_JOB_OPTIONS, jobId: publishId },
        children: [
          {
            name: QUEUE.pair,
            queueName: QUEUE.pair,
            data: validated(QUEUE.pair, data),
            opts: { ...child, jobId: jobId.pair(data.date, data.attempt) },
            children: Array.from({ length: shards }, (_, shard) => ({
              name: QUEUE.score,
              queueName: QUEUE.score,
              data: validated(QUEUE.score, { ...data, shard }),
              opts: { ...child, jobId: jobId.score(data.date, shard, data.attempt) },
            })),
          },
        ],
      });
    },
    async enqueuePrepareParts(payload, parts, parent) {
      for (const part of parts) {
        const data = validated(QUEUE.prepare, { ...payload, part });
        await addChild(queues.prepare, data, jobId.preparePart(data.date, part, data.attempt), parent);
      }
    },
    async enqueuePairGroups(payload, groups, parent) {
      for (const group of groups) {
        const data = validated(QUEUE.pair, { ...payload, group });
        await addChild(queues.pair, data, jobId.pairGroup(data.date, group, data.attempt), parent);
      }
    },
    async enqueueEvaluation(payload) {
      const data = validated(QUEUE.evaluate, payload);
      const id = jobId.evaluate(data.evaluationId);
      await removeIfFinished(queues.evaluate, id);
      await queues.evaluate.add(QUEUE.evaluate, data, { ...EVALUATE_JOB_OPTIONS, jobId: id });
    },
    async hasWorkers() {
      const counts = await Promise.all(
        (['prepare', 'score', 'pair', 'publish'] as const).map((q) => queues[q].getWorkersCount()),
      );
      return counts.every((n) => n > 0);
    },
    async close() {
      await Promise.allSettled([...Object.values(queues).map((q) => q.close()), flow.close()]);
      connection.disconnect();
    },
  };
}
