import type { Deps } from '../../deps.ts';
import { createRunsRepository } from './runs.repository.ts';
import { createRunsService, type RunsService } from './runs.service.ts';

/** The runs routes' options, wired from deps. */
export function runsServiceFrom(deps: Pick<Deps, 'db' | 'queues' | 'log' | 'clock' | 'config'>): {
  runsService: RunsService;
  clock: Deps['clock'];
  timeZone: string;
} {
  return {
    runsService: createRunsService({
      runs: createRunsRepository(deps.db),
      queues: deps.queues,
      log: deps.log,
    }),
    clock: deps.clock,
    timeZone: deps.config.MATCH_TIMEZONE,
  };
}
