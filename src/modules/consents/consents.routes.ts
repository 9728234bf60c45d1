import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import {
  ConsentLedgerView,
  ConsentPeriodView,
  ConsentPurposeParams,
  GrantConsentInput,
  WithdrawalView,
} from './consents.schemas.ts';
import type { ConsentsService } from './consents.service.ts';

/** `/v1/me/consents`: the caller's consent ledger, grants and withdrawals. */
export const consentsRoutes: FastifyPluginAsyncZod<{ consentsService: ConsentsService }> = async (
  app,
  { consentsService },
) => {
  app.get(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['consents'],
        summary: 'My consent ledger, one entry per grant period, newest first',
        response: { 200: ConsentLedgerView },
      },
    },
    async (request) => ({ consents: await consentsService.ledger(callerId(request)) }),
  );

  app.post(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['consents'],
        summary: 'Grant a purpose under a policy version',
        description:
          'Idempotent: granting the version already in force answers 200 with the existing grant and stores nothing; a first grant or a new version answers 201.',
        body: GrantConsentInput,
        response: { 200: ConsentPeriodView, 201: ConsentPeriodView, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      const { purpose, policyVersion } = request.body;
      const { period, created } = await consentsService.grant(callerId(request), purpose, policyVersion, {
        requestId: request.id,
      });
      return reply.code(created ? 201 : 200).send(period);
    },
  );

  app.delete(
    '/:purpose',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['consents'],
        summary: 'Withdraw a purpose; derived data is deleted before the answer',
        description:
          "`transactions` deletes my transactions, features, candidate pools, reveals and the guesses of my matches, takes me out of every pool and ends today's match for both sides; `matching` ends today's match and takes me out of pairing. 409 `consent_not_granted` when the purpose is not currently granted.",
        params: ConsentPurposeParams,
        response: { 200: WithdrawalView, 400: ErrorBody, 409: ErrorBody },
      },
    },
    (request) =>
      consentsService.withdraw(callerId(request), request.params.purpose, { requestId: request.id }),
  );
  // The plugin interface is async; registration itself has nothing to wait for.
  await Promise.resolve();
};
