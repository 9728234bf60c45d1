import type { FastifyPluginAsync } from 'fastify';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');

export type SignInPageOptions = { sessionPath: string; boardPath: string };

/**
 * `/admin/sign-in`: where an operator pastes an admin token so that the browser gets the session
 * cookie (the cookie can only be set by a request the browser itself makes). A page and its script
 * file (no inline script: the app-wide CSP allows scripts from 'self' only), read once at boot.
 * Hidden from OpenAPI: a page, not an API operation.
 */
export const signInPage: FastifyPluginAsync<SignInPageOptions> = async (app, { sessionPath, boardPath }) => {
  const scriptPath = `${app.prefix}/sign-in.js`;
  const [template, script] = await Promise.all([
    readFile(join(PUBLIC_DIR, 'sign-in.html'), 'utf8'),
    readFile(join(PUBLIC_DIR, 'sign-in.js')),
  ]);
  const html = template
    .replaceAll('{{sessionPath}}', sessionPath)
    .replaceAll('{{boardPath}}', boardPath)
    .replaceAll('{{scriptPath}}', scriptPath);

  app.get('/sign-in', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html),
  );
  app.get('/sign-in.js', { schema: { hide: true } }, (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(script),
  );
  await Promise.resolve();
};
