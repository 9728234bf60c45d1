import type { AttributesRepository } from './attributes.repository.ts';
import type { AttributesBody, UserAttributes } from './attributes.schemas.ts';

type Deps = { attributes: Pick<AttributesRepository, 'upsert'> };

/**
 * The platform's verification (`verified`) and credit standing (`trusted`) flags. They are
 * eligibility filters only (design section 6, rule 6): this is the one route that returns them,
 * and only to the platform that set them.
 */
export function createAttributesService({ attributes }: Deps) {
  return {
    async set(userId: string, flags: AttributesBody): Promise<UserAttributes> {
      const stored = await attributes.upsert(userId, flags);
      return { userId: stored.externalId, verified: stored.verified, trusted: stored.trusted };
    },
  };
}

export type AttributesService = ReturnType<typeof createAttributesService>;
