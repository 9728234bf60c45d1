import { parentPort, workerData } from 'node:worker_threads';
import { TopRowEncoder } from './tsv.ts';
import type { FormatBlock, FormatWorkerData } from './write-top.ts';

/** Formats blocks of pools into UTF-8 text for {@link writeTopTsvParallel} (./write-top.ts). */
const { pools, userIds, divisor } = workerData as FormatWorkerData;
const encoder = new TopRowEncoder(userIds);
const port = parentPort;
if (!port) throw new Error('format-worker must run in a worker thread');
port.on('message', ({ block, from, to }: FormatBlock) => {
  const bytes = encoder.encode(pools, divisor, from, to);
  port.postMessage({ block, bytes }, [bytes.buffer as ArrayBuffer]);
});
