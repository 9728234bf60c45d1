import type { Deps } from '../../deps.ts';
import { createMerchantRepository } from './merchants.repository.ts';
import { createMerchantService, type MerchantService } from './merchants.service.ts';

/** Wires the merchant service from the composition root. */
export const merchantServiceFrom = (deps: Pick<Deps, 'db' | 'log'>): MerchantService =>
  createMerchantService({ merchants: createMerchantRepository(deps.db), log: deps.log });
