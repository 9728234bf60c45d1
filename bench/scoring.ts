/**
 * Scoring benchmark: the project's `score:file` against the scipy reference, in the same run, on
 * the same generated input.
 *
 *   npm run bench:scoring -- [--sizes 100000,1000000] [--seed 1] [--skip-reference]
 *                            [--sample-rows 2000] [--full-reference-max 300000] [--threads T]
 *                            [--scorer scripts/score-file.ts] [--results bench/RESULTS.md]
 *
 * For each size: generate (or reuse, keyed by size and seed, under bench/out/) a population with
 * --no-transactions; run the reference (whole, or for the first --sample-rows users above
 * --full-reference-max); run ours in exact mode (cosine over log1p(visits)·idf, no stop-merchants,
 * no recency) and with the default weight set; measure wall time and peak RSS of each child with
 * /usr/bin/time -v; compute recall of ours against the reference; print a markdown table and
 * append it, with the date and the command, to bench/RESULTS.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  appendFileSync,
  mkdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'bench', 'out');
const REFERENCE = resolve(REPO, '..', 'shared', 'bench', 'reference_topk.py');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const GNU_TIME = '/usr/bin/time';
const TOP_K = 50;
const EXACT_FLAGS = ['--max-merchant-share', '1', '--recency-half-life', '0', '--normalization', 'cosine'];
/** A candidate scoring within this of the reference's k-th score is as good as the reference's own. */
const TIE_EPSILON = 1e-6;

interface Measured {
  wallS: number;
  /** User + system CPU seconds of the process tree (GNU time), steadier than wall on a shared machine. */
  cpuS: number | undefined;
  peakRssMb: number | undefined;
  exitCode: number;
  stderrTail: string;
}

interface Row {
  size: number;
  mode: string;
  ours?: Measured | undefined;
  reference?: (Measured & { rows: number | 'all' }) | undefined;
  recall?: RecallStats | undefined;
}

interface RecallStats {
  users: number;
  mean: number;
  min: number;
  perfect: number;
}

function log(message: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Runs a command to completion, under GNU time when present. Wall time is measured here; peak RSS
 * comes from GNU time's "Maximum resident set size" (the largest process of the tree that was
 * waited for), else from a `peak_rss_mb` / "peak RSS … MB" report of the child itself.
 */
async function run(label: string, command: string, args: string[], logFile: string): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-v', command, ...args]] : [command, args];
  writeFileSync(logFile, `$ ${[command, ...args].join(' ')}\n`);
  log(`${label}: ${[command, ...args].map((a) => (a.startsWith(REPO) ? relative(REPO, a) : a)).join(' ')}`);
  const started = performance.now();
  const child = spawn(cmd, argv, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => appendFileSync(logFile, d));
  child.stderr.on('data', (d: Buffer) => {
    appendFileSync(logFile, d);
    stderr = (stderr + d.toString()).slice(-20_000);
  });
  const exitCode = await new Promise<number>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res(code ?? 1));
  });
  const wallS = (performance.now() - started) / 1000;
  const timeRss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const ownRss = /"peak_rss_mb":\s*([\d.]+)/.exec(stderr) ?? /peak rss[^\d]{0,20}([\d.]+)\s*MB/i.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  const cpuS = user && sys ? Number(user[1]) + Number(sys[1]) : undefined;
  const peakRssMb = timeRss ? Number(timeRss[1]) / 1024 : ownRss ? Number(ownRss[1]) : undefined;
  const tail = stderr
    .split('\n')
    .filter((l) => !/^\s+[A-Z][^:]*: /.test(l) && !l.startsWith('\tCommand being timed'))
    .slice(-6)
    .join('\n');
  log(
    `${label}: exit ${exitCode}, ${wallS.toFixed(1)} s (CPU ${cpuS?.toFixed(1) ?? '?'} s), peak RSS ${peakRssMb?.toFixed(0) ?? '?'} MB`,
  );
  return { wallS, cpuS, peakRssMb, exitCode, stderrTail: tail };
}

/** The population of a size and seed: reused when its meta.json says it was made with them. */
async function population(size: number, seed: number): Promise<string> {
  const dir = join(OUT, `pop-${size}-seed${seed}`);
  const metaPath = join(dir, 'meta.json');
  if (existsSync(metaPath) && existsSync(join(dir, 'agg.tsv'))) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as {
      parameters?: { users?: number; seed?: number };
    };
    if (meta.parameters?.users === size && meta.parameters.seed === seed) {
      log(`population ${size} (seed ${seed}): reusing ${relative(REPO, dir)}`);
      return dir;
    }
  }
  mkdirSync(dir, { recursive: true });
  const args = [
    'scripts/gen.ts',
    '--users',
    `${size}`,
    '--seed',
    `${seed}`,
    '--out',
    dir,
    '--no-transactions',
  ];
  const m = await run(`generate ${size}`, TSX, args, join(dir, 'gen.log'));
  if (m.exitCode !== 0) throw new Error(`generator failed (see ${join(dir, 'gen.log')}):\n${m.stderrTail}`);
  return dir;
}

interface RefList {
  cands: Int32Array;
  scores: Float64Array;
}

/** Reads a `user_id candidate_id score rank` TSV, keeping only the users accepted by `keep`. */
async function readTopK(path: string, keep?: (user: number) => boolean): Promise<Map<number, RefList>> {
  const byUser = new Map<number, { c: number[]; s: number[] }>();
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (line.length === 0) continue;
    const t1 = line.indexOf('\t');
    const t2 = line.indexOf('\t', t1 + 1);
    const t3 = line.indexOf('\t', t2 + 1);
    const user = Number(line.slice(0, t1));
    if (keep && !keep(user)) continue;
    let e = byUser.get(user);
    if (!e) byUser.set(user, (e = { c: [], s: [] }));
    e.c.push(Number(line.slice(t1 + 1, t2)));
    e.s.push(Number(line.slice(t2 + 1, t3 < 0 ? undefined : t3)));
  }
  const out = new Map<number, RefList>();
  for (const [u, e] of byUser) out.set(u, { cands: Int32Array.from(e.c), scores: Float64Array.from(e.s) });
  return out;
}

/**
 * Recall per reference user: |ours ∩ ref| / |ref|, where a candidate of ours that is not in the
 * reference list still counts when the reference list is full (k entries) and its score equals the
 * reference's k-th score within TIE_EPSILON: ties at the cut are interchangeable.
 */
async function recall(refPath: string, oursPath: string, k: number): Promise<RecallStats> {
  const ref = await readTopK(refPath);
  const ours = await readTopK(oursPath, (u) => ref.has(u));
  let sum = 0;
  let min = 1;
  let perfect = 0;
  let users = 0;
  for (const [u, r] of ref) {
    if (r.cands.length === 0) continue;
    users++;
    const refSet = new Set(r.cands);
    const kth = r.scores[r.scores.length - 1] as number;
    const full = r.cands.length >= k;
    const o = ours.get(u);
    let hits = 0;
    if (o) {
      for (let i = 0; i < o.cands.length; i++) {
        if (
          refSet.has(o.cands[i] as number) ||
          (full && Math.abs((o.scores[i] as number) - kth) <= TIE_EPSILON)
        )
          hits++;
      }
    }
    const rec = Math.min(1, hits / r.cands.length);
    sum += rec;
    if (rec < min) min = rec;
    if (rec === 1) perfect++;
  }
  return { users, mean: users > 0 ? sum / users : NaN, min: users > 0 ? min : NaN, perfect };
}

const fmtS = (m?: Measured): string =>
  m ? `${m.wallS.toFixed(1)} s${m.cpuS !== undefined ? ` (CPU ${m.cpuS.toFixed(1)} s)` : ''}` : '–';
const fmtMb = (m?: Measured): string => (m?.peakRssMb !== undefined ? `${m.peakRssMb.toFixed(0)} MB` : '–');
const fmtSize = (n: number): string =>
  n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : `${n}`;

const TABLE_HEAD = [
  '| size | mode | our time | our peak RSS | reference time | reference peak RSS | time ratio (ours/ref) | recall@50 (mean, min, users) |',
  '|---|---|---|---|---|---|---|---|',
].join('\n');

function tableRow(r: Row): string {
  const ref = r.reference;
  const refTime = ref ? `${fmtS(ref)}${ref.rows === 'all' ? '' : ` (first ${ref.rows} users)`}` : '–';
  const ratio =
    ref && r.ours && ref.rows === 'all' && ref.exitCode === 0 && r.ours.exitCode === 0
      ? `${(r.ours.wallS / ref.wallS).toFixed(3)}×${r.ours.cpuS !== undefined && ref.cpuS ? ` (CPU ${(r.ours.cpuS / ref.cpuS).toFixed(3)}×)` : ''}`
      : '–';
  const rec = r.recall
    ? `${r.recall.mean.toFixed(4)}, ${r.recall.min.toFixed(3)}, ${r.recall.perfect}/${r.recall.users} exact`
    : '–';
  const failed = [r.ours?.exitCode, ref?.exitCode].some((c) => c !== undefined && c !== 0) ? ' (FAILED)' : '';
  return `| ${fmtSize(r.size)} | ${r.mode}${failed} | ${fmtS(r.ours)} | ${fmtMb(r.ours)} | ${refTime} | ${fmtMb(ref)} | ${ratio} | ${rec} |`;
}

const RESULTS_HEADER = `# Benchmark results

Written by the \`bench/\` scripts; each run appends its figures with the date and the exact command.

**Machine**: 2 cores, 24 GB RAM, Node 20, Python 3 with numpy/scipy (single-threaded reference).
Other work may share the machine: each run records the load average at its start and end.

**Targets (scoring, \`npm run bench:scoring\`)**, on populations from \`npm run gen\` (40 merchants per
user, 8 mega-chains visited by 10–35% of users):
- 100k users, exact mode: ≤ 0.1× the reference's time, recall 1.0;
- 1M users, exact mode: ≤ 20 min and ≤ 4 GB peak RSS;
- 1M users, default weight set: ≤ 5 min.

Exact mode is \`--max-merchant-share 1 --recency-half-life 0 --normalization cosine --top-k 50\`
(cosine over log1p(visits)·ln(N/df)), the reference is \`../shared/bench/reference_topk.py\` with the
same flags. Recall is per user |ours ∩ reference| / |reference|, a candidate scoring within 1e-6 of
the reference's 50th score counting as a hit (ties at the cut are interchangeable). Times are wall
clock of the whole child process (load, compute, write), with its user + system CPU time in brackets
(steadier when the machine is shared); peak RSS is GNU time's maximum resident set.
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100000,1000000' },
      seed: { type: 'string', default: '1' },
      'skip-reference': { type: 'boolean', default: false },
      'sample-rows': { type: 'string', default: '2000' },
      'full-reference-max': { type: 'string', default: '300000' },
      scorer: { type: 'string', default: 'scripts/score-file.ts' },
      threads: { type: 'string' },
      results: { type: 'string', default: 'bench/RESULTS.md' },
    },
    strict: true,
  });
  const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
  const seed = Number(values.seed);
  const sampleRows = Number(values['sample-rows']);
  const fullMax = Number(values['full-reference-max']);
  if (
    sizes.some((n) => !Number.isSafeInteger(n) || n < 2) ||
    !Number.isSafeInteger(seed) ||
    !(sampleRows > 0)
  ) {
    throw new Error('--sizes must be integers ≥ 2, --seed an integer, --sample-rows > 0');
  }
  const scorer = resolve(REPO, values.scorer);
  if (!existsSync(scorer)) throw new Error(`scorer ${relative(REPO, scorer)} does not exist yet`);
  const resultsPath = resolve(REPO, values.results);
  const threads = values.threads !== undefined ? ['--threads', values.threads] : [];
  const command = `npm run bench:scoring -- ${process.argv.slice(2).join(' ')}`.trim();
  const loadStart = loadavg();
  const startedAt = new Date();
  log(
    `${command} (${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GB, load ${loadStart.map((l) => l.toFixed(2)).join(' ')})`,
  );

  // The section is written as the run goes, one table row per finished measurement, so that a
  // long run stopped part-way still leaves its figures.
  const scorerCommit = spawnSync(
    'git',
    ['log', '-1', '--format=%h %s', '--', relative(REPO, scorer), 'src/core/scoring', 'src/scoring'],
    { cwd: REPO, encoding: 'utf8' },
  ).stdout.trim();
  if (!existsSync(resultsPath)) writeFileSync(resultsPath, RESULTS_HEADER);
  appendFileSync(
    resultsPath,
    [
      '',
      `## Scoring, ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      '',
      '```',
      command,
      '```',
      '',
      `Seed ${seed}; load average (1, 5, 15 min) at start ${loadStart.map((l) => l.toFixed(2)).join(', ')}; scorer \`${relative(REPO, scorer)}\`${threads.length > 0 ? ` with ${threads.join(' ')}` : ''}${scorerCommit ? ` (last scoring commit: ${scorerCommit})` : ''}.`,
      '',
      TABLE_HEAD,
      '',
    ].join('\n'),
  );
  const rows: Row[] = [];
  const record = (row: Row): void => {
    rows.push(row);
    appendFileSync(resultsPath, `${tableRow(row)}\n`);
  };
  for (const size of sizes) {
    const dir = await population(size, seed);
    const agg = join(dir, 'agg.tsv');
    const runDir = join(dir, 'runs');
    mkdirSync(runDir, { recursive: true });

    let reference: Row['reference'];
    const refRows = size > fullMax ? sampleRows : 'all';
    const refOut = join(runDir, `reference-${refRows}.tsv`);
    if (!values['skip-reference']) {
      const rowsArg = refRows === 'all' ? [] : ['--rows', `${refRows}`];
      const args = [
        REFERENCE,
        '--input',
        agg,
        '--out',
        refOut,
        '--top-k',
        `${TOP_K}`,
        ...EXACT_FLAGS,
        ...rowsArg,
      ];
      const m = await run(`reference ${size}`, 'python3', args, join(runDir, `reference-${refRows}.log`));
      reference = { ...m, rows: refRows };
      if (m.exitCode !== 0) log(`reference failed:\n${m.stderrTail}`);
    }

    const exactOut = join(runDir, 'ours-exact.tsv');
    const exactArgs = [
      scorer,
      '--input',
      agg,
      '--out',
      exactOut,
      '--top-k',
      `${TOP_K}`,
      ...EXACT_FLAGS,
      ...threads,
    ];
    const exact = await run(`ours exact ${size}`, TSX, exactArgs, join(runDir, 'ours-exact.log'));
    if (exact.exitCode !== 0) log(`ours (exact) failed:\n${exact.stderrTail}`);
    let rec: RecallStats | undefined;
    if (reference?.exitCode === 0 && exact.exitCode === 0) {
      rec = await recall(refOut, exactOut, TOP_K);
      log(
        `recall ${size}: mean ${rec.mean.toFixed(5)}, min ${rec.min.toFixed(3)}, ${rec.perfect}/${rec.users} exact`,
      );
    }
    record({ size, mode: 'exact', ours: exact, reference, recall: rec });

    const defOut = join(runDir, 'ours-default.tsv');
    const defArgs = [scorer, '--input', agg, '--out', defOut, ...threads];
    const def = await run(`ours default ${size}`, TSX, defArgs, join(runDir, 'ours-default.log'));
    if (def.exitCode !== 0) log(`ours (default) failed:\n${def.stderrTail}`);
    record({ size, mode: 'default weights', ours: def });
  }

  const loadEnd = loadavg();
  // The load at the end counts this benchmark's own threads (one per core at most): only what
  // exceeds them, or a busy machine at the start, means other work shared the cores.
  const shared = (loadStart[0] ?? 0) > 1 || (loadEnd[0] ?? 0) > cpus().length + 1;
  const sharedNote = shared
    ? ` The machine was shared with other work during this run (load above 1 before the run, or above its ${cpus().length} cores plus one after it): wall times are inflated against an idle machine, the reference's as well as ours.`
    : '';
  appendFileSync(
    resultsPath,
    `\nLoad average at end ${loadEnd.map((l) => l.toFixed(2)).join(', ')}.${sharedNote}\n`,
  );
  process.stdout.write(`\n${TABLE_HEAD}\n${rows.map(tableRow).join('\n')}\n`);
  // Keep the file as `npm run lint` (prettier --check) wants it: aligned table columns.
  spawnSync(join(REPO, 'node_modules', '.bin', 'prettier'), ['--write', resultsPath], {
    cwd: REPO,
    stdio: 'ignore',
  });
  log(`appended to ${relative(REPO, resultsPath)}`);
  if (rows.some((r) => (r.ours && r.ours.exitCode !== 0) || (r.reference && r.reference.exitCode !== 0)))
    process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
