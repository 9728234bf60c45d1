import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR } from '../../../src/dashboard/dashboard.plugin.ts';
import { createTestApp, type TestApp } from '../../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const get = (url: string) => t.app.inject({ method: 'GET', url });

describe('the analyst dashboard at /analyst', () => {
  it.each(['/analyst', '/analyst/', '/analyst/index.html'])('serves the page at %s', async (url) => {
    const response = await get(url);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('<script type="module" src="/analyst/app.js"></script>');
    expect(response.body).toContain('data-chart="runs-coverage"');
  });

  it('serves every file of the page with its content type', async () => {
    const types: Record<string, RegExp> = {
      '.js': /^(text|application)\/javascript/,
      '.css': /^text\/css/,
      '.html': /^text\/html/,
    };
    const files = readdirSync(DASHBOARD_DIR);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'app.js', 'charts.js', 'dashboard.css']));
    for (const file of files) {
      const response = await get(`/analyst/${file}`);
      expect(response.statusCode, file).toBe(200);
      expect(response.headers['content-type'], file).toMatch(types[file.slice(file.lastIndexOf('.'))]!);
    }
  });

  it('serves uPlot from node_modules: the ES module and its stylesheet, nothing else of the package', async () => {
    const module = await get('/analyst/vendor/uplot/uPlot.esm.js');
    expect(module.statusCode).toBe(200);
    expect(module.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(module.body).toContain('export { uPlot as default }');
    const css = await get('/analyst/vendor/uplot/uPlot.min.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect((await get('/analyst/vendor/uplot/uPlot.cjs.js')).statusCode).toBe(404);
    expect((await get('/analyst/vendor/uplot/../package.json')).statusCode).toBe(404);
    expect((await get('/analyst/../package.json')).statusCode).not.toBe(200);
  });

  it('answers 404 for a file that is not there', async () => {
    expect((await get('/analyst/missing.js')).statusCode).toBe(404);
  });

  it("lets the page's own scripts and styles run under the CSP, and nothing inline or foreign", async () => {
    const csp = (await get('/analyst')).headers['content-security-policy'];
    expect(typeof csp).toBe('string');
    const directives = new Map(
      String(csp)
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(directives.get('script-src')).toContain("'self'");
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
    expect(directives.get('style-src')).toContain("'self'");
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('script-src-attr')).toEqual(["'none'"]);
  });

  it('keeps the pages out of OpenAPI: every dashboard route is hidden', async () => {
    const routes = t.app.routeCatalog.filter((r) => r.url.startsWith('/analyst'));
    expect(routes.map((r) => r.url)).toEqual(expect.arrayContaining(['/analyst', '/analyst/']));
    for (const route of routes) expect(route.hidden, `${route.method} ${route.url}`).toBe(true);
    const doc = (await get('/docs/json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/analyst'))).toEqual([]);
  });
});
