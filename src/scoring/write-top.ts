import { closeSync, openSync, writeSync } from 'node:fs';
import type { CandidatePools } from '../core/scoring/candidates.ts';
import { shareArray } from './shared-arrays.ts';
import { TOP_BLOCK_USERS, TOP_HEADER, writeTopTsv } from './tsv.ts';
import { startSiblingWorker } from './worker-boot.ts';

type FormattedPools = Pick<CandidatePools, 'users' | 'offsets' | 'candidates' | 'overlap'>;

/** What each format worker receives once: the pools and ids in SharedArrayBuffers. */
export interface FormatWorkerData {
  pools: FormattedPools;
  userIds: Float64Array;
  divisor: number;
}

/** A request: format pools `[from, to)` as block number `block`. */
export interface FormatBlock {
  block: number;
  from: number;
  to: number;
}

/** Blocks in flight per thread: enough to keep each busy while the file is written. */
const IN_FLIGHT_PER_THREAD = 2;

/**
 * {@link writeTopTsv} with the text formatted on `threads` worker threads (formatting the scores,
 * not writing them, is what costs: about 1 µs a row). Blocks of {@link TOP_BLOCK_USERS} pools are
 * handed out on demand and written in order as they come back, with at most
 * `IN_FLIGHT_PER_THREAD · threads` blocks held, so memory stays a few megabytes whatever the run's
 * size. The file is the same, byte for byte. `threads` ≤ 1 writes on this thread.
 */
export async function writeTopTsvParallel(
  path: string,
  pools: CandidatePools,
  userIds: Float64Array,
  divisor: number,
  threads: number,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const n = pools.users.length;
  const blockCount = Math.ceil(n / TOP_BLOCK_USERS);
  const workerCount = Math.min(threads, blockCount);
  if (workerCount <= 1) return writeTopTsv(path, pools, userIds, divisor, onProgress);
  const data: FormatWorkerData = {
    pools: {
      users: shareArray(pools.users),
      offsets: shareArray(pools.offsets),
      candidates: shareArray(pools.candidates),
      overlap: shareArray(pools.overlap),
    },
    userIds: shareArray(userIds),
    divisor,
  };
  const workers = Array.from({ length: workerCount }, () => startSiblingWorker('format-worker', data));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `${TOP_HEADER}\n`);
    await new Promise<void>((resolve, reject) => {
      const done = new Map<number, Uint8Array>();
      const inFlight = workers.map(() => 0);
      let nextToSend = 0;
      let nextToWrite = 0;
      // keeps every worker at IN_FLIGHT_PER_THREAD blocks, the least loaded first, while fewer
      // than IN_FLIGHT_PER_THREAD · workers blocks wait to be written
      const pump = (): void => {
        for (;;) {
          if (nextToSend >= blockCount) return;
          if (nextToSend - nextToWrite >= IN_FLIGHT_PER_THREAD * workers.length) return;
          let w = 0;
          for (let i = 1; i < workers.length; i++) if (inFlight[i]! < inFlight[w]!) w = i;
          if (inFlight[w]! >= IN_FLIGHT_PER_THREAD) return;
          const block = nextToSend++;
          const from = block * TOP_BLOCK_USERS;
          const request: FormatBlock = { block, from, to: Math.min(n, from + TOP_BLOCK_USERS) };
          inFlight[w]!++;
          workers[w]!.postMessage(request);
        }
      };
      workers.forEach((worker, w) => {
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (code !== 0) reject(new Error(`format worker exited with code ${String(code)}`));
        });
        worker.on('message', ({ block, bytes }: { block: number; bytes: Uint8Array }) => {
          try {
            inFlight[w]!--;
            done.set(block, bytes);
            while (done.has(nextToWrite)) {
              writeSync(fd, done.get(nextToWrite)!);
              done.delete(nextToWrite);
              nextToWrite++;
              onProgress?.(Math.min(n, nextToWrite * TOP_BLOCK_USERS), n);
            }
            if (nextToWrite === blockCount) resolve();
            else pump();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        });
      });
      pump();
    });
  } finally {
    closeSync(fd);
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return pools.offsets[n]!;
}
