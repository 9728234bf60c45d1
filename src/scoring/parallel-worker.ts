import { parentPort, workerData } from 'node:worker_threads';
import { createCandidateKernel, emptyStats, PoolBuilder } from '../core/scoring/candidates.ts';
import type { KernelStats } from '../core/scoring/candidates.ts';
import { createSymmetricKernel, mergePairHeaps } from '../core/scoring/symmetric.ts';
import { TopK } from '../core/scoring/top-k.ts';
import type { WorkerInit, ChunkRequest, ChunkResult, HeavyRequest, MergeRequest } from './parallel.ts';

const init = workerData as WorkerInit;
const port = parentPort;
if (!port) throw new Error('parallel-worker must run in a worker thread');
const { matrix, options, symmetric } = init;

const symmetricKernel = symmetric
  ? createSymmetricKernel(matrix, {
      ...(options.minSharedMerchants !== undefined && { minSharedMerchants: options.minSharedMerchants }),
      ...(options.eligibility !== undefined && { eligibility: options.eligibility }),
      ...(options.exclude !== undefined && { exclude: options.exclude }),
      ...(options.ranges !== undefined && { ranges: options.ranges }),
      ...(symmetric.plan !== undefined && { plan: symmetric.plan }),
      countShared: options.countShared ?? true,
      ...(options.blockUsers !== undefined && { blockUsers: options.blockUsers }),
    })
  : undefined;
const prunedKernel = symmetric ? undefined : createCandidateKernel(matrix, options);
const heap = new TopK(options.k);
let reported: KernelStats = emptyStats();

function statsDelta(): KernelStats {
  const now: KernelStats = prunedKernel
    ? { ...prunedKernel.stats }
    : {
        ...emptyStats(),
        users: symmetricKernel!.stats.users,
        postingsScanned: symmetricKernel!.stats.postingsScanned,
      };
  const delta = emptyStats();
  for (const key of Object.keys(delta) as (keyof KernelStats)[]) delta[key] = now[key] - reported[key];
  reported = now;
  return delta;
}

port.on('message', (msg: ChunkRequest | HeavyRequest | MergeRequest) => {
  if (msg.type === 'heavy') {
    const own = symmetric!.heaps[symmetric!.self]!;
    for (let i = 0; i < msg.users.length; i++) symmetricKernel!.heavyOnly(msg.users[i]!, own);
    const result: ChunkResult = { type: 'done', id: -1, stats: statsDelta() };
    port.postMessage(result);
    return;
  }
  if (msg.type === 'merge') {
    const sets = symmetric!.heaps;
    mergePairHeaps(sets, sets[0]!, msg.from, msg.to);
    port.postMessage({ type: 'merged' });
    return;
  }
  if (symmetricKernel) {
    const heaps = symmetric!.heaps[symmetric!.self]!;
    for (let i = 0; i < msg.users.length; i++) symmetricKernel.scan(msg.users[i]!, heaps);
    const result: ChunkResult = { type: 'done', id: msg.id, stats: statsDelta() };
    port.postMessage(result);
    return;
  }
  const builder = new PoolBuilder(msg.users, options.k);
  for (let i = 0; i < msg.users.length; i++) {
    prunedKernel!.pool(msg.users[i]!, heap);
    builder.append(heap);
  }
  const stats = statsDelta();
  const pools = builder.finish(stats);
  const result: ChunkResult = { type: 'done', id: msg.id, pools, stats };
  port.postMessage(result, [
    pools.offsets.buffer as ArrayBuffer,
    pools.candidates.buffer as ArrayBuffer,
    pools.overlap.buffer as ArrayBuffer,
    pools.shared.buffer as ArrayBuffer,
  ]);
});
port.postMessage({ type: 'ready' });
