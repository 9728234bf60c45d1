import { UnrecoverableError } from 'bullmq';
import { z } from 'zod';
import type { QueueName } from './names.ts';

/**
 * Payloads hold run ids, dates, shard numbers and evaluation ids only: never a user id or any
 * personal data.
 */
const RunId = z.string().regex(/^[1-9][0-9]{0,18}$/, 'a run id');
const BusinessDate = z.iso.date();
const Attempt = z.int().min(1).max(1000);

export const NightlyPayload = z.strictObject({});
/** A stage of a run: the run, its business date and the attempt. */
const RunStagePayload = z.strictObject({ runId: RunId, date: BusinessDate, attempt: Attempt });
/** Prepare of a run, or (`part`) the aggregation of one hash partition of it (prepare.jobs.ts). */
export const PreparePayload = RunStagePayload.extend({ part: z.int().min(0).max(10_000).optional() });
export const ScorePayload = z.strictObject({
  runId: RunId,
  date: BusinessDate,
  attempt: Attempt,
  shard: z.int().min(0).max(10_000),
});
/** An evaluation is named by its row's id only; everything else is read from Postgres. */
export const EvaluatePayload = z.strictObject({ evaluationId: z.uuid() });
/** The pair stage of a run, or (`group`) the pairing of one group of its cities (pair.jobs.ts). */
export const PairPayload = z.strictObject({
  runId: RunId,
  date: BusinessDate,
  attempt: Attempt,
  group: z.int().min(0).max(10_000).optional(),
});
export const PublishPayload = RunStagePayload;

export const PAYLOADS = {
  nightly: NightlyPayload,
  prepare: PreparePayload,
  score: ScorePayload,
  pair: PairPayload,
  publish: PublishPayload,
  evaluate: EvaluatePayload,
} as const satisfies Record<QueueName, z.ZodType>;

export type PayloadOf<Q extends QueueName> = z.infer<(typeof PAYLOADS)[Q]>;
export type StagePayload = z.infer<typeof RunStagePayload>;
export type ScoreJobPayload = z.infer<typeof ScorePayload>;
export type PairJobPayload = z.infer<typeof PairPayload>;
export type EvaluateJobPayload = z.infer<typeof EvaluatePayload>;

/** Validates a payload on the consuming side; a bad payload will never succeed, so no retry. */
export function parsePayload<Q extends QueueName>(queue: Q, data: unknown): PayloadOf<Q> {
  const result = PAYLOADS[queue].safeParse(data);
  if (!result.success) {
    throw new UnrecoverableError(
      `invalid ${queue} payload: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data as PayloadOf<Q>;
}
