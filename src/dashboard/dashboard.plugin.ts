import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The page's own HTML, CSS and ES modules: no build step, served as written. */
export const DASHBOARD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');

/** uPlot's distribution folder in node_modules (the package has no `exports`, so its main file locates it). */
export const UPLOT_DIR = dirname(createRequire(import.meta.url).resolve('uplot'));

/**
 * The analyst dashboard at `/analyst`: static files only. The page signs in with a bearer token
 * pasted by the analyst and calls the analyst API like any other client, so it holds no data and
 * needs no API route of its own. Files are listed once at boot (`wildcard: false`): nothing outside
 * the two folders can be reached. `/analyst` answers the page itself rather than a redirect (the
 * page names its assets by absolute path). Hidden from OpenAPI: pages, not API operations.
 */
export async function registerDashboard(app: FastifyInstance): Promise<void> {
  const page = await readFile(join(DASHBOARD_DIR, 'index.html'));
  app.get('/analyst', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page),
  );
  await app.register(fastifyStatic, {
    root: DASHBOARD_DIR,
    prefix: '/analyst/',
    wildcard: false,
    index: ['index.html'],
    decorateReply: false,
    schemaHide: true,
    // Deployments replace the files in place: the browser revalidates instead of caching stale modules.
    cacheControl: true,
    maxAge: 0,
  });
  await app.register(fastifyStatic, {
    root: UPLOT_DIR,
    prefix: '/analyst/vendor/uplot/',
    wildcard: false,
    // Only the ES module build and its stylesheet are served.
    globIgnore: ['*.cjs.js', '*.d.ts', '*.iife.js', '*.iife.min.js'],
    decorateReply: false,
    schemaHide: true,
  });
}
