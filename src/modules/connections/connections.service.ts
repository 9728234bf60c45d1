import { aliasFor } from '../../core/masking/index.ts';
import type { RevealsService } from '../reveals/reveals.service.ts';
import type { MatchRepository } from '../match/match.repository.ts';
import { viewerSide } from '../match/today.ts';
import type { ConnectionsRepository } from './connections.repository.ts';
import type { ConnectionView } from './connections.schemas.ts';

type Deps = {
  matches: Pick<MatchRepository, 'viewer'>;
  connections: Pick<ConnectionsRepository, 'list'>;
  reveals: Pick<RevealsService, 'visibleOf'>;
};

/**
 * `GET /v1/me/connections`: every mutual like with the alias the card showed (the masking core's
 * `aliasFor`, so card and connection agree), both contact handles and both sides' visible reveals.
 */
export function createConnectionsService({ matches, connections, reveals }: Deps) {
  return {
    async list(externalId: string): Promise<ConnectionView[]> {
      const viewer = await matches.viewer(externalId);
      if (viewer === undefined) return [];
      const rows = await connections.list(viewer.id);
      if (rows.length === 0) return [];
      const mine = await reveals.visibleOf(externalId, viewer.id);
      return Promise.all(
        rows.map(async (row) => ({
          matchId: row.matchId,
          matchDate: row.matchDate,
          connectedAt: row.connectedAt.toISOString(),
          alias: aliasFor(row.matchId, viewerSide(row.userId, row.counterpartId)),
          theirs: {
            contactHandle: row.theirContactHandle,
            reveals: await reveals.visibleOf(row.counterpartExternalId, row.counterpartId),
          },
          mine: { contactHandle: row.myContactHandle, reveals: mine },
        })),
      );
    },
  };
}

export type ConnectionsService = ReturnType<typeof createConnectionsService>;
