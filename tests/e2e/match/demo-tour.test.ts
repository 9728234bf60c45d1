import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/clock.ts';
import { playDemoTour } from '../../../src/modules/match/demo-tour.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';
import { person, seeder } from './fixtures.ts';

const now = new Date('2026-11-22T04:00:00Z');
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock: fixedClock(now) });
  const seed = seeder(t.db);
  const run = await seed.run('2026-11-22');
  const ann = await seed.user(person('demo-ann'));
  await seed.user(person('demo-bob'));
  const cat = await seed.user(person('demo-cat'));
  await seed.pair(run, '2026-11-22', ann, cat);
});
afterAll(async () => {
  await t.close();
});

describe('playDemoTour', () => {
  it('prints three cards and plays a mutual like between the matched pair', async () => {
    const lines: string[] = [];
    const result = await playDemoTour(t.app, t.deps.config, {
      users: ['demo-ann', 'demo-bob', 'demo-cat'],
      print: (line) => lines.push(line),
      now,
    });
    expect(result.liked).toEqual(['demo-ann', 'demo-cat']);
    expect(result.connected).toBe(true);
    expect(result.cards['demo-bob']).toEqual({ reason: 'no_compatible_candidate' });
    const text = lines.join('\n');
    expect(text).toContain('demo-cat likes -> connected');
    expect(text).toContain('contact @handle-demo-cat');
    expect(text).toContain('contact @handle-demo-ann');
    expect(text).not.toContain('Name of');
  });
});
