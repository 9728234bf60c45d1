import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Clock } from '../../clock.ts';
import { conflict } from '../../errors.ts';
import { ErrorBody } from '../../plugins/errors.ts';
import { businessDate } from '../../queue/schedule.ts';
import { RunList, RunListQuery, RunParams, RunView, StartRunBody, toRunView } from './runs.schemas.ts';
import type { RunsService } from './runs.service.ts';

/**
 * `/v1/analyst/runs`: nightly runs for analysts and admins, aggregates only (design section 6,
 * rule 5). `POST` starts the run of a date: 202 with the new (or restarted failed) run; 409
 * `run_active` while that date's run is active; 200 with the run when the date is already
 * published (a published date is never recomputed).
 */
export const runsRoutes: FastifyPluginAsyncZod<{
  runsService: RunsService;
  clock: Clock;
  timeZone: string;
}> = async (app, { runsService, clock, timeZone }) => {
  const guard = app.requireRole('analyst', 'admin');

  app.get(
    '',
    {
      onRequest: guard,
      schema: {
        tags: ['analyst'],
        summary: 'Nightly runs, newest first',
        querystring: RunListQuery,
        response: { 200: RunList, 400: ErrorBody },
      },
    },
    async (request) => ({
      runs: (await runsService.list(request.query.limit, request.query.before)).map(toRunView),
    }),
  );

  app.get(
    '/:id',
    {
      onRequest: guard,
      schema: {
        tags: ['analyst'],
        summary: 'One nightly run: status, per-stage timings and counts, coverage',
        params: RunParams,
        response: { 200: RunView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => toRunView(await runsService.get(request.params.id)),
  );

  app.post(
    '',
    {
      onRequest: guard,
      schema: {
        tags: ['analyst'],
        summary: 'Run the nightly pipeline now for a date',
        description: `202 with the run when it starts (a failed run of the date is restarted); 409
\`run_active\` while the date's run is active; 200 with the run when the date is already published.`,
        body: StartRunBody.optional(),
        response: { 200: RunView, 202: RunView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    async (request, reply) => {
      const date = request.body?.date ?? businessDate(clock.now(), timeZone);
      // Only the role is recorded: the analyst's id never appears on the run.
      const role = request.principal?.kind === 'user' ? request.principal.role : 'client';
      const { run, outcome } = await runsService.startRun(date, `api:${role}`);
      if (outcome === 'active') throw conflict('run_active', `the run of ${date} is ${run.status}`);
      return reply.code(outcome === 'published' ? 200 : 202).send(toRunView(run));
    },
  );
  await Promise.resolve();
};
