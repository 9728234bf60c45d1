import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import {
  CreateEvaluationBody,
  EvaluationCreated,
  EvaluationIdParams,
  EvaluationList,
  EvaluationView,
} from './evaluations.schemas.ts';
import type { EvaluationService } from './evaluations.service.ts';

const REPORT_TEXT = `The report (design section 7) has one part per weight set (\`evaluated\`, and \`baseline\` when
one was given), each computed over the current data as tonight's run would score it, without serving
anything: \`coverage\` (share of eligible users paired on the first day), \`meanScore\` and
\`scoreHistogram\` of the first day's pair scores, \`exposure\` (Gini and Lorenz curve of how often each
eligible user is paired over 30 simulated days, pairs of earlier days held back as the cooldown does),
\`identicalToActiveShare\` (share of first-day pairs the active set also makes), and \`outcomes\`: every
past shown match with a decision scored by the set, ROC AUC against mutual likes, like and mutual-like
rates by score decile. Aggregates only: cells of fewer than K_ANON users are null.`;

export const evaluationRoutes: FastifyPluginAsyncZod<{ evaluationService: EvaluationService }> = async (
  app,
  { evaluationService },
) => {
  const analyst = app.requireRole('analyst', 'admin');

  app.post(
    '',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'Evaluate a weight set',
        description: `Queues the evaluation of \`weightSetId\` (and of \`baselineWeightSetId\` beside it, typically the
active set) as a job of the \`evaluate\` queue; poll \`GET /v1/analyst/evaluations/{id}\` for its progress and
report. 404 \`weight_set_not_found\` for an unknown set.`,
        body: CreateEvaluationBody,
        response: { 202: EvaluationCreated, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const created = await evaluationService.create(request.body, callerId(request));
      return reply.status(202).send(created);
    },
  );

  app.get(
    '',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'List evaluations',
        description: 'The 100 newest evaluations, newest first, with status and progress (no reports).',
        response: { 200: EvaluationList },
      },
    },
    async () => ({ evaluations: await evaluationService.list() }),
  );

  app.get(
    '/:id',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'One evaluation: status, progress and report',
        description: `\`status\` is queued, running, completed or failed (with \`error\`); \`progress\` 0–100;
\`report\` is null until completed. ${REPORT_TEXT}`,
        params: EvaluationIdParams,
        response: { 200: EvaluationView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    (request) => evaluationService.get(request.params.id),
  );
  await Promise.resolve();
};
