import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `name` (a sibling of this file: `./name.ts` when running from sources,
 * `./name.js` when compiled). From TypeScript sources (tsx, vitest) the worker first registers
 * tsx's loader, since loader hooks of the parent thread do not reach worker threads on Node 20.
 */
export function startSiblingWorker(name: string, workerData: unknown): Worker {
  const fromSources = import.meta.url.endsWith('.ts');
  const url = new URL(`./${name}${fromSources ? '.ts' : '.js'}`, import.meta.url);
  if (!fromSources) return new Worker(url, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData });
}
