import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../../src/queue/names.ts';
import { createTestApp, userToken, type TestApp } from '../../helpers/app.ts';

/**
 * The queue dashboard in headless Chromium against a real app on a real port: sign in through the
 * page, then Bull Board must render (its scripts and styles allowed by the board's content security
 * policy, no violation reported) and list every queue, with the job waiting in one of them.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'artifacts', 'admin-queues.png');

let t: TestApp;
let browser: Browser;
let page: Page;
let origin: string;
const failedAssets: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM}; the queue dashboard test needs it. Install it with: ` +
        'apt-get update && apt-get install -y --no-install-recommends chromium',
    );
  }
  t = await createTestApp({ config: { QUEUE_PREFIX: `{kt-${randomUUID().slice(0, 8)}}` } });
  await t.deps.queues.queues.score.add(
    QUEUE.score,
    { date: '2026-11-22', attempt: 1, shard: 0 },
    { jobId: 'score.2026-11-22.0' },
  );
  origin = await t.app.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage();
  // Every CSP violation of the page, as the browser reports it to the page itself.
  // (Browser code as strings: the project's TypeScript has no DOM types.)
  await page.addInitScript({
    content: `window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (event) => {
        window.cspViolations.push(event.effectiveDirective + ' ' + event.blockedURI);
      });`,
  });
  page.on('response', (response) => {
    if (response.url().startsWith(origin) && response.status() >= 400) {
      failedAssets.push(`${String(response.status())} ${response.url()}`);
    }
  });
}, 60_000);

afterAll(async () => {
  await browser.close();
  await Promise.all(Object.values(t.deps.queues.queues).map((queue) => queue.obliterate({ force: true })));
  await t.close();
});

const violations = () => page.evaluate<string[]>('window.cspViolations');

describe('the queue dashboard in a browser', () => {
  it('refuses a non-admin token on the sign-in page with the API message, sets no cookie', async () => {
    await page.goto(`${origin}/admin/sign-in`);
    await page.fill('#token', userToken('ana-1', 'analyst'));
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('#message')).toContain('needs role admin');
    expect(await page.context().cookies()).toEqual([]);
    expect(await violations()).toEqual([]);
  });

  it('signs an admin in and renders Bull Board with every queue and the waiting job', async () => {
    failedAssets.length = 0;
    await page.goto(`${origin}/admin/sign-in`);
    await page.fill('#token', userToken('ops-1', 'admin'));
    await Promise.all([page.waitForURL(`${origin}/admin/queues`), page.click('button[type=submit]')]);
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({
      name: 'kindred_admin',
      path: '/admin',
      httpOnly: true,
      sameSite: 'Strict',
    });

    // The sidebar is drawn by the board's React bundle from /admin/queues/api/queues.
    for (const name of Object.values(QUEUE)) {
      await page.getByRole('link', { name, exact: true }).first().waitFor({ timeout: 15_000 });
    }
    await page.getByRole('link', { name: 'score', exact: true }).first().click();
    await page.getByText('score.2026-11-22.0').first().waitFor({ timeout: 15_000 });
    // Its stylesheet applied: the board's layout sets a non-default font family on the body.
    expect(await page.evaluate<string>('getComputedStyle(document.body).fontFamily')).toContain(
      'IBM Plex Sans',
    );
    expect(await violations()).toEqual([]);
    expect(failedAssets).toEqual([]);

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('signs out: the cookie is gone and the board answers 401', async () => {
    await page.goto(`${origin}/admin/sign-in`);
    await page.click('#sign-out');
    await expect.poll(() => page.textContent('#message')).toBe('Signed out.');
    expect(await page.context().cookies()).toEqual([]);
    const response = await page.goto(`${origin}/admin/queues`);
    expect(response?.status()).toBe(401);
  });
});
