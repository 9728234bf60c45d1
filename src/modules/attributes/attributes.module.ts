import type { Deps } from '../../deps.ts';
import { createAttributesRepository } from './attributes.repository.ts';
import { createAttributesService, type AttributesService } from './attributes.service.ts';

/** Wires the user-attributes service from the composition root. */
export const attributesServiceFrom = (deps: Pick<Deps, 'db'>): AttributesService =>
  createAttributesService({ attributes: createAttributesRepository(deps.db) });
