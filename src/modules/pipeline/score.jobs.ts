import type { CandidatePools } from '../../core/scoring/candidates.ts';
import type { Eligibility } from '../../core/scoring/eligibility.ts';
import type { Exclusions, Ranges } from '../../core/scoring/filters.ts';
import type { IdfPopulation } from '../../core/scoring/matrix.ts';
import type { WeightSet } from '../../core/scoring/weight-set.ts';
import { parsePayload } from '../../queue/payloads.ts';
import { addDays } from '../../queue/schedule.ts';
import { yieldToEventLoop } from '../../queue/worker-lifecycle.ts';
import { computeCandidates } from '../../scoring/parallel.ts';
import { weightsOf } from '../runs/runs.service.ts';
import { coPresenceCounter } from './co-presence.ts';
import { runOfJob, seconds, type PipelineContext, type StageJob, type StageResult } from './context.ts';
import type { CandidateRow, RunMerchants } from './pipeline.repository.ts';
import {
  ageRanges,
  buildCityMatrix,
  buildEligibility,
  exclusionsOf,
  newBoundsTrial,
  shardCandidates,
  slicePools,
  type CityContext,
} from './shard-scoring.ts';

/** Below this many query users a city is scored on the job's own thread (threads cost ~50 ms). */
const INLINE_BELOW = 2_000;
/** Query users per kernel call of a split city: the kernel of one chunk overlaps the cut of the previous one. */
const CHUNK_USERS = 2_000;
/** Users per slice of a cut: about 2 s of the job's thread at most (0.35 ms a user at 200,000). */
const CUT_SLICE_USERS = 5_000;

/**
 * One city of a shard: its users, its matrix (the run's idf), its filters. A whole city (every
 * user in this shard) has posting lists in user order for the symmetric kernel; a city split over
 * several shards has them by value for the one-sided kernel its parts use.
 */
type CityIndex = Omit<CityContext, 'query'> & {
  whole: boolean;
  eligibility: Eligibility;
  ranges: Ranges;
};

/**
 * A split city's index, per worker process: every shard of that city this process scores reuses
 * it. Keyed by run, attempt and city; the two newest are kept. Whole cities are scored once and
 * not kept.
 */
const splitCityCaches = new WeakMap<PipelineContext, Map<string, Promise<CityIndex>>>();

type CityInput = {
  runId: string;
  city: string;
  /** Every user of the city is in this shard. */
  whole: boolean;
  weights: WeightSet;
  merchants: RunMerchants;
  population: IdfPopulation;
};

async function buildCityIndex(ctx: PipelineContext, input: CityInput): Promise<CityIndex> {
  const { weights, merchants, whole } = input;
  const users = await ctx.pipeline.loadUsers(input.runId, merchants, input.city);
  const matrix = buildCityMatrix(users, merchants, weights, {
    population: input.population,
    postingOrder: whole ? 'user' : 'value',
    // read by the kernel's worker threads without a copy
    shared: true,
  });
  return {
    whole,
    users,
    matrix,
    eligibility: buildEligibility(users),
    ranges: ageRanges(users),
    avgTicket: Float64Array.from(users, (u) => (u.txnCount > 0 ? u.amountCents / u.txnCount : 0)),
    coPresence: coPresenceCounter(users, matrix.stop, merchants.categories.length, weights.coPresenceMinutes),
  };
}

function cityIndex(ctx: PipelineContext, attempt: number, input: CityInput): Promise<CityIndex> {
  if (input.whole) return buildCityIndex(ctx, input);
  let cache = splitCityCaches.get(ctx);
  if (cache === undefined) {
    cache = new Map();
    splitCityCaches.set(ctx, cache);
  }
  const key = `${input.runId}.${String(attempt)}.${input.city}`;
  let cached = cache.get(key);
  if (cached === undefined) {
    const entries = cache;
    cached = buildCityIndex(ctx, input);
    cached.catch(() => entries.delete(key));
    entries.set(key, cached);
    while (entries.size > 2) entries.delete(entries.keys().next().value as string);
  }
  return cached;
}

/** A kernel call: a whole city (symmetric, every user) or a chunk of a split city's part. */
type WorkItem = { index: CityIndex; exclude: Exclusions; query: Int32Array };

/**
 * Score one shard: the cities the prepare stage dealt to it (shard-plan.ts). Each city is loaded
 * alone (one COPY of its users' feature arrays) into a matrix with the run's global N and df, so
 * idf and stop-merchants match design section 4 exactly. A city the shard holds whole is scored
 * by the symmetric kernel (each pair once); the shard's part of a split city by the one-sided
 * kernel against the whole city. Either way each of the shard's users gets its exact pool, with
 * the eligibility filter applied during generation, on worker threads (so the event loop keeps
 * renewing the job's lock). Per user, the candidates that can reach its `topK` by the full score
 * at the run's scale are kept (the scale is not known yet: see `shardCandidates`), and the
 * shard's pools are replaced in one transaction. A shard already recorded in the run's stages is
 * skipped (a duplicate after a Redis loss).
 */
export async function processScore(ctx: PipelineContext, job: StageJob): Promise<StageResult> {
  const payload = parsePayload('score', job.data);
  const run = await runOfJob(ctx, payload);
  if (run === undefined) return { skipped: 'stale' };
  if (run.status !== 'scoring') return { skipped: run.status };
  const done = (run.stages['score'] as { shards?: Record<string, unknown> } | undefined)?.shards;
  if (done?.[String(payload.shard)] !== undefined) return { skipped: 'shard_done' };

  const started = performance.now();
  const weights = weightsOf(run);
  const prepared = run.stages['prepare'] as { featureUsers?: unknown; scaleBound?: unknown } | undefined;
  // Written by prepare with the run's snapshot: without N, idf cannot be the run's.
  if (typeof prepared?.featureUsers !== 'number') throw new Error(`run ${run.id} has no prepare record`);
  const [cities, merchants] = await Promise.all([
    ctx.pipeline.shardCities(run.id, payload.shard),
    ctx.pipeline.merchants(run.id),
  ]);
  // Blocks (both ways) and pairs within the cooldown never enter a pool: a user whose blocked
  // neighbours were the closest still gets a full pool of admissible ones. Read by every job.
  const excludedPairs = [...(await ctx.pipeline.runBlocks(run.id))];
  if (weights.repeatCooldownDays > 0) {
    const from = addDays(run.date, -weights.repeatCooldownDays);
    excludedPairs.push(...(await ctx.pipeline.recentPairs(run.id, from, run.date)));
  }
  const { inlineBelow, chunkUsers } = ctx.scoreChunks ?? {
    inlineBelow: INLINE_BELOW,
    chunkUsers: CHUNK_USERS,
  };
  const threads = Math.max(1, ctx.config.SCORE_THREADS);
  const population: IdfPopulation = { activeUsers: prepared.featureUsers, df: merchants.df };
  const items: WorkItem[] = [];
  for (const { city, split } of cities) {
    const index = await cityIndex(ctx, payload.attempt, {
      runId: run.id,
      city,
      whole: !split,
      weights,
      merchants,
      population,
    });
    const exclude = exclusionsOf(index.users, excludedPairs);
    const query = Int32Array.from(
      index.users.flatMap((u, i) => (u.shard === payload.shard && u.merchants.length > 0 ? [i] : [])),
    );
    if (query.length === 0) continue;
    if (index.whole) {
      items.push({ index, exclude, query });
      continue;
    }
    const chunk =
      query.length < inlineBelow
        ? query.length
        : Math.ceil(query.length / Math.ceil(query.length / chunkUsers));
    for (let s = 0; s < query.length; s += chunk)
      items.push({ index, exclude, query: query.subarray(s, s + chunk) });
  }
  const loadSeconds = seconds(started);
  await job.updateProgress(20);

  const total = Math.max(
    1,
    items.reduce((n, item) => n + item.query.length, 0),
  );
  let scored = 0;
  // The kernel of the next item runs on a worker thread while this thread cuts the previous
  // item's pools: with one scoring thread per process, the cut (co-presence, re-ranking) no longer
  // waits for the kernel, nor the kernel for the cut.
  const kernelOf = ({ index, exclude, query }: WorkItem): Promise<CandidatePools> => {
    const pending = computeCandidates(index.matrix, {
      k: weights.candidatePoolSize,
      // A whole city: every user, each pair once (the symmetric kernel).
      ...(!index.whole && { users: query }),
      minSharedMerchants: weights.minSharedMerchants,
      eligibility: index.eligibility,
      ranges: index.ranges,
      exclude,
      threads: query.length < inlineBelow ? 0 : threads,
      onProgress: (doneUsers) => {
        const share = index.whole ? (doneUsers / Math.max(1, index.users.length)) * query.length : doneUsers;
        void job.updateProgress(20 + Math.round((60 * (scored + share)) / total)).catch(() => undefined);
      },
    });
    // Awaited below; this only keeps a failure while the other item is cut from going unhandled.
    pending.catch(() => undefined);
    return pending;
  };
  // The run's scale (its largest pair) lies between the largest pair seen so far and the bound
  // prepare computed over every user; the pair stage knows it exactly and cuts each pool to topK.
  // (a run prepared before prepare recorded it: no bound, a looser cut, the same final pools)
  const scaleBound = typeof prepared.scaleBound === 'number' ? prepared.scaleBound : Number.POSITIVE_INFINITY;
  let kernelWait = 0;
  let cutMs = 0;
  let maxOverlap = 0;
  const rows: CandidateRow[] = [];
  let next = items.length > 0 ? kernelOf(items[0]!) : undefined;
  for (let i = 0; i < items.length; i++) {
    const waitStarted = performance.now();
    const pools = await next!;
    kernelWait += performance.now() - waitStarted;
    scored += items[i]!.query.length;
    next = i + 1 < items.length ? kernelOf(items[i + 1]!) : undefined;
    const cutStarted = performance.now();
    maxOverlap = Math.max(maxOverlap, pools.maxOverlap);
    const { index, query } = items[i]!;
    // A whole city's pools come in one piece (Shanghai: 73,409 users, 25 s of cut at 200,000
    // users): cut them slice by slice and yield between slices, or the job's lock expires while
    // the thread is busy and another worker scores the same shard again.
    const trial = newBoundsTrial();
    for (let from = 0; from < pools.users.length; from += CUT_SLICE_USERS) {
      const slice = slicePools(pools, from, Math.min(pools.users.length, from + CUT_SLICE_USERS));
      for (const row of shardCandidates({
        context: { ...index, query },
        pools: slice,
        weights,
        scaleLo: maxOverlap,
        scaleHi: Math.max(maxOverlap, scaleBound),
        trial,
      })) {
        rows.push(row);
      }
      await yieldToEventLoop();
    }
    cutMs += performance.now() - cutStarted;
  }
  await job.updateProgress(80);
  const kernelSeconds = Math.round(kernelWait / 10) / 100;
  const cutSeconds = Math.round(cutMs / 10) / 100;
  const writeStarted = performance.now();
  await ctx.pipeline.writeShardPools(run.id, payload.shard, rows);
  const writeSeconds = seconds(writeStarted);
  const candidates = rows.reduce((n, r) => n + r.candidateIds.length, 0);
  // Where the shard's time went (docs/scaling.md): loading its cities, the kernel, the
  // co-presence and topK cut, the COPY.
  const info = {
    seconds: seconds(started),
    loadSeconds,
    kernelSeconds,
    cutSeconds,
    writeSeconds,
    cities: cities.length,
    users: items.reduce((n, item) => n + item.query.length, 0),
    candidates,
    maxOverlap,
  };
  await ctx.runs.recordSubJob(run.id, { stage: 'score', list: 'shards' }, payload.shard, info);
  await job.updateProgress(100);
  ctx.log.info(
    { runId: run.id, date: run.date, stage: 'score', shard: payload.shard, ...info },
    'stage done',
  );
  return info;
}
