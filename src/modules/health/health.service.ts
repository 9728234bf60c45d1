import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import type { Redis } from '../../redis.ts';

export type DependencyCheck = { ok: boolean; latencyMs: number; error?: string };
export type Readiness = { ready: boolean; checks: { postgres: DependencyCheck; redis: DependencyCheck } };

const CHECK_TIMEOUT_MS = 1_500;

/** Runs a probe with a deadline; never throws, reports the failure's kind (no connection details). */
async function probe(run: () => Promise<unknown>, timeoutMs: number): Promise<DependencyCheck> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error('timeout'));
    }, timeoutMs);
  });
  try {
    await Promise.race([run(), deadline]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : 'failed';
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: reason.slice(0, 100) };
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthService(
  deps: { db: Kysely<Database>; redis: Pick<Redis, 'ping'> },
  timeoutMs = CHECK_TIMEOUT_MS,
) {
  return {
    /** Postgres `select 1` and Redis `PING`, in parallel, each bounded by the timeout. */
    async readiness(): Promise<Readiness> {
      const [postgres, redis] = await Promise.all([
        probe(() => sql`select 1`.execute(deps.db), timeoutMs),
        probe(() => deps.redis.ping(), timeoutMs),
      ]);
      return { ready: postgres.ok && redis.ok, checks: { postgres, redis } };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
