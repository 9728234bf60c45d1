import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, userToken, type TestApp } from '../../helpers/app.ts';
import { generateData, runScript } from './cli.ts';

let data: { dir: string; remove: () => void };
let t: TestApp;
const file = (name: string): string => join(data.dir, name);

beforeAll(async () => {
  [data, t] = await Promise.all([generateData(1500, 23), createTestApp()]);
}, 120_000);
afterAll(async () => {
  data.remove();
  await t.close();
});

type TuneJson = {
  configurations: number;
  featureMatrices: number;
  best: {
    weights: Record<string, unknown>;
    tune: { auc: number };
    holdout: { auc: number; positives: number };
  }[];
};

const grid = {
  base: { minSharedMerchants: 2 },
  visitTransform: ['log1p', 'binary'],
  normalization: ['sqrt', 'cosine'],
  maxMerchantShare: [0.05, 0.3],
  coPresenceMinutes: [60, 240],
  blend: [
    { overlap: 1, coPresence: 0, spendLevel: 0 },
    { overlap: 0.7, coPresence: 0.2, spendLevel: 0.1 },
  ],
};

describe('npm run tune', () => {
  it('searches the grid with a held-out split and writes a winner that POST /v1/analyst/weight-sets accepts', async () => {
    writeFileSync(file('grid.json'), JSON.stringify(grid));
    const result = await runScript('scripts/tune.ts', [
      '--input',
      file('agg.tsv'),
      '--labels',
      file('ties.tsv'),
      '--transactions',
      file('transactions.csv'),
      '--grid',
      file('grid.json'),
      '--negatives',
      '30000',
      '--out',
      file('best.json'),
      '--top',
      '5',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as TuneJson;
    // 8 matrices × (overlap alone + one blend × 2 windows)
    expect(report.featureMatrices).toBe(8);
    expect(report.configurations).toBe(24);
    expect(report.best).toHaveLength(5);
    const aucs = report.best.map((b) => b.tune.auc);
    expect(aucs).toEqual([...aucs].sort((a, b) => b - a));
    const winner = report.best[0]!;
    expect(winner.holdout.positives).toBeGreaterThan(0);
    // The winner keeps most of its gain on users it was not tuned on.
    expect(winner.holdout.auc).toBeGreaterThan(0.8);

    const body = JSON.parse(readFileSync(file('best.json'), 'utf8')) as { params: Record<string, unknown> };
    expect(body.params).toEqual(winner.weights);
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/analyst/weight-sets',
      headers: { ...bearer(userToken('ana-tune', 'analyst')), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json<{ weightSet: { params: unknown } }>().weightSet.params).toEqual(body.params);

    // And evaluate takes the same file.
    const evaluated = await runScript('scripts/evaluate.ts', [
      '--input',
      file('agg.tsv'),
      '--labels',
      file('ties.tsv'),
      '--weights',
      file('best.json'),
      '--negatives',
      '30000',
      '--json',
    ]);
    expect(evaluated.code, evaluated.stderr).toBe(0);
  });

  it('refuses a grid whose combination the scoring schema refuses, naming the field', async () => {
    writeFileSync(
      file('bad-grid.json'),
      JSON.stringify({ blend: [{ overlap: 0.5, coPresence: 0.1, spendLevel: 0.1 }] }),
    );
    const result = await runScript('scripts/tune.ts', [
      '--input',
      file('agg.tsv'),
      '--labels',
      file('ties.tsv'),
      '--grid',
      file('bad-grid.json'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('blend');
    writeFileSync(file('bad-grid2.json'), JSON.stringify({ idfExponent: [1, 9] }));
    const second = await runScript('scripts/tune.ts', [
      '--input',
      file('agg.tsv'),
      '--labels',
      file('ties.tsv'),
      '--grid',
      file('bad-grid2.json'),
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('idfExponent');
  });
});
