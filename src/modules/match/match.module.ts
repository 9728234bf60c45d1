import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import type { Deps } from '../../deps.ts';
import { createAuditRepository } from '../audit/audit.repository.ts';
import { createAuditService, deriveAuditKey } from '../audit/audit.service.ts';
import { createConnectionsRepository } from '../connections/connections.repository.ts';
import { createConnectionsService } from '../connections/connections.service.ts';
import { createRevealsRepository } from '../reveals/reveals.repository.ts';
import { createRevealsService } from '../reveals/reveals.service.ts';
import { createSafetyRepository } from '../safety/safety.repository.ts';
import { createSafetyService } from '../safety/safety.service.ts';
import { createUserServices } from '../users/user-services.ts';
import { createUsersRepository } from '../users/users.repository.ts';
import { createGuessesRepository } from './guesses.repository.ts';
import { createGuessesService } from './guesses.service.ts';
import { createMatchRepository } from './match.repository.ts';
import { createMatchService } from './match.service.ts';
import { createTodayResolver } from './today.ts';

/** The repositories of the daily match, bound to one Kysely instance or one transaction. */
const storeOf = (db: Kysely<Database>, pool?: Deps['pool']) => ({
  matches: createMatchRepository(db, pool),
  guesses: createGuessesRepository(db),
  reveals: createRevealsRepository(db),
  safety: createSafetyRepository(db),
  audit: createAuditRepository(db),
});
type MatchStore = ReturnType<typeof storeOf>;

/**
 * Wires the daily match (card, decisions, guesses), reveals, connections and safety from the
 * composition root. Own merchants with k-anonymity come from the user endpoints' service, whose
 * query `GET /v1/me/merchants` also answers: one rule, one query.
 */
export function matchModuleFrom(deps: Pick<Deps, 'db' | 'pool' | 'clock' | 'config'>) {
  const { db, pool, clock, config } = deps;
  const read = storeOf(db, pool);
  const transact = <T>(work: (store: MatchStore) => Promise<T>): Promise<T> =>
    db.transaction().execute((trx) => work(storeOf(trx)));
  const audit = createAuditService({ audit: read.audit, key: deriveAuditKey(config), clock });
  const { meService } = createUserServices(deps);
  const today = createTodayResolver({ matches: read.matches, clock });

  const revealsService = createRevealsService({
    users: createUsersRepository(db),
    reveals: read.reveals,
    ownMerchants: meService,
    transact,
    audit,
    clock,
  });
  return {
    matchService: createMatchService({
      today,
      reveals: revealsService,
      matches: read.matches,
      transact,
      clock,
    }),
    guessesService: createGuessesService({
      today,
      ownMerchants: meService,
      matches: read.matches,
      guesses: read.guesses,
      transact,
      clock,
    }),
    revealsService,
    connectionsService: createConnectionsService({
      matches: read.matches,
      connections: createConnectionsRepository(db),
      reveals: revealsService,
    }),
    safetyService: createSafetyService({
      today,
      safety: read.safety,
      transact,
      audit,
      clock,
      suspendThreshold: config.REPORT_SUSPEND_THRESHOLD,
    }),
    cardRateLimitMax: config.MATCH_RATE_LIMIT_MAX,
    actionRateLimitMax: config.MATCH_ACTION_RATE_LIMIT_MAX,
  };
}

export type MatchModule = ReturnType<typeof matchModuleFrom>;
