import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ErrorBody } from '../../plugins/errors.ts';
import { callerId } from '../users/caller.ts';
import { ProfileInput, ProfileView } from './profile.schemas.ts';
import type { ProfileService } from './profile.service.ts';

/** `/v1/me/profile`: the caller's own profile, created or replaced as a whole. */
export const profileRoutes: FastifyPluginAsyncZod<{ profileService: ProfileService }> = async (
  app,
  { profileService },
) => {
  app.get(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['profile'],
        summary: 'My profile',
        response: { 200: ProfileView, 404: ErrorBody },
      },
    },
    (request) => profileService.get(callerId(request)),
  );

  app.put(
    '',
    {
      onRequest: app.requireUser,
      schema: {
        tags: ['profile'],
        summary: 'Create (201) or replace (200) my profile',
        description:
          'Every field is required. `birthYear` must make me 18–120 this year; `seeking` is a non-empty set of genders; `ageMin` ≤ `ageMax`; `timezone` is an IANA zone (stored in its canonical spelling). `contactHandle` is shown only to a mutual like.',
        body: ProfileInput,
        response: { 200: ProfileView, 201: ProfileView, 400: ErrorBody },
      },
    },
    async (request, reply) => {
      const { profile, created } = await profileService.put(callerId(request), request.body);
      return reply.code(created ? 201 : 200).send(profile);
    },
  );
  // The plugin interface is async; registration itself has nothing to wait for.
  await Promise.resolve();
};
