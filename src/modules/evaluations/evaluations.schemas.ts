import { z } from 'zod';
import { WeightSetId } from '../weight-sets/weight-sets.schemas.ts';

/**
 * The evaluation API (design section 7). Weight-set ids are the project's weight-set ids (decimal
 * strings, as `/v1/analyst/weight-sets` returns them); evaluation ids are UUIDs, which are also the
 * ids of their BullMQ jobs. Every figure is an aggregate: no user id, no per-user row.
 */

export const EvaluationId = z.uuid();

export const EvaluationIdParams = z.strictObject({ id: EvaluationId });

export const CreateEvaluationBody = z.strictObject({
  weightSetId: WeightSetId.meta({ description: 'the weight set to evaluate' }),
  baselineWeightSetId: WeightSetId.optional().meta({
    description: 'a second set, reported side by side (typically the active one)',
  }),
});
export type CreateEvaluationBody = z.infer<typeof CreateEvaluationBody>;

export const EvaluationCreated = z.object({ evaluationId: EvaluationId });

export const EvaluationStatus = z.enum(['queued', 'running', 'completed', 'failed']);
export type EvaluationStatus = z.infer<typeof EvaluationStatus>;

const Share = z.number().min(0).max(1);

export const ScoreHistogram = z
  .object({
    edges: z.array(z.number()).meta({ description: '11 edges 0, 0.1, …, 1 of the full score (0..1)' }),
    counts: z.array(z.int().min(0).nullable()).meta({
      description:
        'day-1 pairs per bucket (a score of exactly 1 falls in the last); null = suppressed: the bucket ' +
        'holds fewer than K_ANON users, or its count could be inferred from the others',
    }),
  })
  .meta({ id: 'EvaluationScoreHistogram' });

export const Exposure = z
  .object({
    days: z.int().min(1).meta({ description: 'simulated successive days of pairing' }),
    gini: Share.nullable().meta({
      description: 'Gini of how often each eligible user is paired over those days; null without pairs',
    }),
    lorenz: z
      .object({
        population: z.array(Share).meta({ description: 'cumulative share of users, least paired first' }),
        exposure: z.array(Share).meta({ description: 'cumulative share of pairings they received' }),
      })
      .meta({ description: 'the Lorenz curve, at most 21 points from (0,0) to (1,1)' }),
  })
  .meta({ id: 'EvaluationExposure' });

export const OutcomeDecile = z
  .object({
    decile: z.int().min(1).max(10).meta({ description: '1 = lowest evaluated scores, 10 = highest' }),
    matches: z.int().min(0).meta({ description: 'past shown matches (pairs) in the decile' }),
    likeRate: Share.nullable().meta({ description: 'likes per decision; null below K_ANON users' }),
    mutualRate: Share.nullable().meta({ description: 'mutual likes per match; null below K_ANON users' }),
  })
  .meta({ id: 'EvaluationOutcomeDecile' });

export const Outcomes = z
  .object({
    shownMatches: z.int().min(0).meta({
      description: 'past shown matches with at least one decision whose two users are still eligible',
    }),
    auc: Share.nullable().meta({
      description:
        'ROC AUC of the evaluated score against "became a mutual like"; null without both classes or below K_ANON users',
    }),
    deciles: z.array(OutcomeDecile),
  })
  .meta({ id: 'EvaluationOutcomes' });

export const SetReport = z
  .object({
    weightSetId: WeightSetId,
    eligibleUsers: z.int().min(0).meta({ description: 'users eligible for matching now' }),
    pairedUsers: z.int().min(0).meta({ description: 'users paired on the simulated first day' }),
    coverage: Share.meta({ description: 'pairedUsers / eligibleUsers (0 without eligible users)' }),
    meanScore: z.number().min(0).max(100).nullable().meta({
      description: 'mean day-1 pair score as cards show it (integer 0–100), like a run’s meanScore',
    }),
    scoreHistogram: ScoreHistogram,
    exposure: Exposure,
    identicalToActiveShare: Share.nullable().meta({
      description:
        "share of this set's day-1 pairs that the active set also makes (1 for the active set itself); " +
        'null without pairs or without an active set',
    }),
    outcomes: Outcomes,
  })
  .meta({ id: 'EvaluationSetReport' });
export type SetReport = z.infer<typeof SetReport>;

export const EvaluationReport = z
  .object({ evaluated: SetReport, baseline: SetReport.nullable() })
  .meta({ id: 'EvaluationReport' });
export type EvaluationReport = z.infer<typeof EvaluationReport>;

const summaryFields = {
  id: EvaluationId,
  weightSetId: WeightSetId,
  baselineWeightSetId: WeightSetId.nullable(),
  status: EvaluationStatus,
  progress: z.int().min(0).max(100),
  createdAt: z.date(),
  startedAt: z.date().nullable(),
  finishedAt: z.date().nullable(),
  error: z.string().nullable(),
};

export const EvaluationSummary = z.object(summaryFields).meta({ id: 'EvaluationSummary' });
export type EvaluationSummary = z.infer<typeof EvaluationSummary>;

export const EvaluationView = z
  .object({ ...summaryFields, report: EvaluationReport.nullable() })
  .meta({ id: 'Evaluation' });
export type EvaluationView = z.infer<typeof EvaluationView>;

export const EvaluationList = z.object({ evaluations: z.array(EvaluationSummary) });
