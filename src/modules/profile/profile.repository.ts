import { sql, type Kysely } from 'kysely';
import type { Database, Gender } from '../../db/types.ts';

export type Profile = {
  displayName: string;
  birthYear: number;
  gender: Gender;
  seeking: Gender[];
  ageMin: number;
  ageMax: number;
  city: string;
  timezone: string;
  contactHandle: string;
  onlyVerified: boolean;
  allowGuessGame: boolean;
};

export type StoredProfile = Profile & { updatedAt: Date };

const COLUMNS = [
  'display_name',
  'birth_year',
  'gender',
  'seeking',
  'age_min',
  'age_max',
  'city',
  'timezone',
  'contact_handle',
  'only_verified',
  'allow_guess_game',
  'updated_at',
] as const;

type Row = {
  display_name: string;
  birth_year: number;
  gender: Gender;
  seeking: Gender[];
  age_min: number;
  age_max: number;
  city: string;
  timezone: string;
  contact_handle: string;
  only_verified: boolean;
  allow_guess_game: boolean;
  updated_at: Date;
};

const toProfile = (row: Row): StoredProfile => ({
  displayName: row.display_name,
  birthYear: row.birth_year,
  gender: row.gender,
  seeking: row.seeking,
  ageMin: row.age_min,
  ageMax: row.age_max,
  city: row.city,
  timezone: row.timezone,
  contactHandle: row.contact_handle,
  onlyVerified: row.only_verified,
  allowGuessGame: row.allow_guess_game,
  updatedAt: row.updated_at,
});

/** Queries on `profiles`, keyed by the internal user id. */
export function createProfilesRepository(db: Kysely<Database>) {
  return {
    async find(userId: string): Promise<StoredProfile | undefined> {
      const row = await db
        .selectFrom('profiles')
        .select(COLUMNS)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row && toProfile(row);
    },

    /** Creates or replaces the profile; `created` tells which. */
    async upsert(
      userId: string,
      profile: Profile,
      at: Date,
    ): Promise<{ profile: StoredProfile; created: boolean }> {
      const values = {
        display_name: profile.displayName,
        birth_year: profile.birthYear,
        gender: profile.gender,
        seeking: sql<Gender[]>`${profile.seeking}::text[]`,
        age_min: profile.ageMin,
        age_max: profile.ageMax,
        city: profile.city,
        timezone: profile.timezone,
        contact_handle: profile.contactHandle,
        only_verified: profile.onlyVerified,
        allow_guess_game: profile.allowGuessGame,
        updated_at: at,
      };
      const row = await db
        .insertInto('profiles')
        .values({ user_id: userId, ...values })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
        .returning([...COLUMNS, sql<boolean>`xmax = 0`.as('created')])
        .executeTakeFirstOrThrow();
      return { profile: toProfile(row), created: row.created };
    },
  };
}

export type ProfilesRepository = ReturnType<typeof createProfilesRepository>;
