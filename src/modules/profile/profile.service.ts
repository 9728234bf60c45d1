import type { Clock } from '../../clock.ts';
import { badRequest, notFound } from '../../errors.ts';
import { localDate } from '../users/local-day.ts';
import type { UserStore } from '../users/user-store.ts';
import type { ProfileInput } from './profile.schemas.ts';
import type { StoredProfile } from './profile.repository.ts';

type Deps = {
  read: {
    users: Pick<UserStore['users'], 'findByExternalId'>;
    profiles: Pick<UserStore['profiles'], 'find'>;
  };
  transact: <T>(work: (store: Pick<UserStore, 'users' | 'profiles'>) => Promise<T>) => Promise<T>;
  clock: Clock;
};

const MIN_AGE = 18;
const MAX_AGE = 120;

export function createProfileService({ read, transact, clock }: Deps) {
  return {
    async get(externalId: string): Promise<StoredProfile> {
      const user = await read.users.findByExternalId(externalId);
      const profile = user && (await read.profiles.find(user.id));
      if (profile === undefined) throw notFound('profile_not_found', 'no profile yet: PUT /v1/me/profile');
      return profile;
    },

    /**
     * Creates or replaces the caller's profile. The age is the one pairing uses: the age reached
     * during the current calendar year (in the profile's time zone), which must be 18–120.
     */
    async put(
      externalId: string,
      input: ProfileInput,
    ): Promise<{ profile: StoredProfile; created: boolean }> {
      const now = clock.now();
      const year = Number(localDate(now, input.timezone).slice(0, 4));
      const age = year - input.birthYear;
      if (age < MIN_AGE || age > MAX_AGE) {
        throw badRequest('invalid profile', [
          {
            path: 'body.birthYear',
            message: `must make you ${MIN_AGE} to ${MAX_AGE} years old in ${year}`,
            code: age < MIN_AGE ? 'too_young' : 'too_old',
          },
        ]);
      }
      return transact(async ({ users, profiles }) => {
        const userId = await users.upsertByExternalId(externalId);
        return profiles.upsert(userId, input, now);
      });
    },
  };
}

export type ProfileService = ReturnType<typeof createProfileService>;
