import { parentPort, workerData } from 'node:worker_threads';
import { createCandidateKernel, emptyStats, PoolBuilder } from '../core/scoring/candidates.ts';
import type { KernelStats } from '../core/scoring/candidates.ts';
import { TopK } from '../core/scoring/top-k.ts';
import type { WorkerInit, ChunkRequest, ChunkResult } from './parallel.ts';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('parallel-worker must run in a worker thread');

const kernel = createCandidateKernel(init.matrix, init.options);
const heap = new TopK(init.options.k);
let reported: KernelStats = emptyStats();

port.on('message', (msg: ChunkRequest | { type: 'exit' }) => {
  if (msg.type === 'exit') {
    port.close();
    return;
  }
  const builder = new PoolBuilder(msg.users, init.options.k);
  for (let i = 0; i < msg.users.length; i++) {
    kernel.pool(msg.users[i]!, heap);
    builder.append(heap);
  }
  const now = { ...kernel.stats };
  const delta: KernelStats = {
    users: now.users - reported.users,
    postingsTotal: now.postingsTotal - reported.postingsTotal,
    postingsScanned: now.postingsScanned - reported.postingsScanned,
    verified: now.verified - reported.verified,
    refreshes: now.refreshes - reported.refreshes,
  };
  reported = now;
  const pools = builder.finish(delta);
  const result: ChunkResult = { type: 'done', id: msg.id, pools };
  port.postMessage(result, [
    pools.offsets.buffer as ArrayBuffer,
    pools.candidates.buffer as ArrayBuffer,
    pools.overlap.buffer as ArrayBuffer,
    pools.shared.buffer as ArrayBuffer,
  ]);
});
port.postMessage({ type: 'ready' });
