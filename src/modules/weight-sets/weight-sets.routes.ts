import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import {
  ActivationView,
  CreateWeightSetBody,
  WeightSetDetail,
  WeightSetIdParams,
  WeightSetList,
} from './weight-sets.schemas.ts';
import type { Actor, WeightSetService } from './weight-sets.service.ts';

const actorOf = (request: FastifyRequest): Actor => ({ staffId: callerId(request), requestId: request.id });

export const weightSetRoutes: FastifyPluginAsyncZod<{ weightSetService: WeightSetService }> = async (
  app,
  { weightSetService },
) => {
  const analyst = app.requireRole('analyst', 'admin');

  app.get(
    '/',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'List weight sets',
        description:
          'Every weight set, newest version first, with whether it is active and how many runs used it.',
        response: { 200: WeightSetList },
      },
    },
    async () => ({ weightSets: await weightSetService.list() }),
  );

  app.post(
    '/',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'Create a weight set',
        description: `Creates the next version. \`params\` is validated by the scoring core's schema (ranges,
blend summing to 1, known categories; omitted fields take the seed defaults) and stored whole. Sets are
immutable: to change one, create a new set with it as \`parentId\` (default: the active set). Audited.`,
        body: CreateWeightSetBody,
        response: { 201: WeightSetDetail, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      const created = await weightSetService.create(request.body, actorOf(request));
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/:id',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'One weight set with its parent and the diff to it',
        params: WeightSetIdParams,
        response: { 200: WeightSetDetail, 400: ErrorBody, 404: ErrorBody },
      },
    },
    (request) => weightSetService.get(request.params.id),
  );

  app.post(
    '/:id/activate',
    {
      onRequest: [analyst],
      schema: {
        tags: ['analyst'],
        summary: 'Activate a weight set',
        description: 'The next nightly run snapshots it. Activating the active set changes nothing. Audited.',
        params: WeightSetIdParams,
        response: { 200: ActivationView, 400: ErrorBody, 404: ErrorBody },
      },
    },
    (request) => weightSetService.activate(request.params.id, actorOf(request)),
  );
  await Promise.resolve();
};
