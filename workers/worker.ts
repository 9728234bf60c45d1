/**
 * `npm run worker`: a worker for every pipeline queue (concurrency WORKER_CONCURRENCY), the
 * nightly job scheduler, and the reconciler; and the worker of the `evaluate` queue (one weight-set
 * evaluation at a time, docs/evaluations.md). Start it any number of times on any machines.
 * SIGTERM/SIGINT: stop taking jobs, let the active ones finish (or give them back after 30 s).
 */
import { loadConfig } from '../src/config.ts';
import { closeDeps, createDeps } from '../src/deps.ts';
import { createPipelineRuntime } from '../src/modules/pipeline/runtime.ts';

const config = loadConfig();
const deps = createDeps(config);
const runtime = createPipelineRuntime(deps);
runtime.startWorkers();
const pattern = await runtime.schedule(deps.clock.now());
deps.log.info(
  { pattern, concurrency: config.WORKER_CONCURRENCY, pid: process.pid },
  'pipeline worker started',
);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  deps.log.info({ signal }, 'pipeline worker closing');
  try {
    await runtime.close();
    await closeDeps(deps);
  } finally {
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
