import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Lets the event loop run (timers, sockets): long synchronous work on a job's thread awaits this
 * between slices, so that BullMQ keeps renewing the job's lock.
 */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `reconcile` now, every `intervalMs`, and each time `connection` is ready again after a
 * drop: Redis may have come back empty, and Postgres says what must be re-enqueued. `reconcile`
 * must not throw (log and retry on the next round). Returns what stops the timer.
 */
export function keepReconciled(
  connection: Redis | undefined,
  reconcile: () => Promise<unknown>,
  intervalMs: number,
): () => void {
  let wasDown = false;
  connection?.on('close', () => {
    wasDown = true;
  });
  connection?.on('ready', () => {
    if (wasDown) {
      wasDown = false;
      void reconcile();
    }
  });
  void reconcile();
  const timer = setInterval(() => void reconcile(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Closes the workers, letting active jobs finish for up to `timeoutMs`; past it, closes them at
 * once, giving the active jobs back (their locks lapse and another worker takes them over). Then
 * disconnects the workers' connections.
 */
export async function closeWorkers(
  workers: readonly Worker[],
  connections: readonly Redis[],
  timeoutMs: number,
): Promise<void> {
  const graceful = Promise.all(workers.map((w) => w.close()));
  const timeout = new Promise<'timeout'>((resolve) =>
    setTimeout(() => resolve('timeout'), timeoutMs).unref(),
  );
  if ((await Promise.race([graceful.then(() => 'closed' as const), timeout])) === 'timeout') {
    await Promise.all(workers.map((w) => w.close(true)));
  }
  for (const c of connections) c.disconnect();
}
