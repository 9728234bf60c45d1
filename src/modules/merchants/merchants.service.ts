import type { Logger } from 'pino';
import type { MerchantRepository } from './merchants.repository.ts';
import type { MerchantBatch, MerchantUpsertResult } from './merchants.schemas.ts';

type Deps = { merchants: Pick<MerchantRepository, 'upsertMany'>; log: Pick<Logger, 'info'> };

export function createMerchantService({ merchants, log }: Deps) {
  return {
    /** Creates or replaces the batch's merchants; counts what was created, changed and left as it was. */
    async upsertBatch(clientId: string, batch: MerchantBatch): Promise<MerchantUpsertResult> {
      const { created, updated } = await merchants.upsertMany(batch.merchants);
      const unchanged = batch.merchants.length - created - updated;
      log.info(
        { clientId, items: batch.merchants.length, created, updated, unchanged },
        'merchant batch upserted',
      );
      return { created, updated, unchanged };
    },
  };
}

export type MerchantService = ReturnType<typeof createMerchantService>;
