import type { CookieSerializeOptions } from '@fastify/cookie';

export const ADMIN_COOKIE = 'kindred_admin';
export const ADMIN_COOKIE_PATH = '/admin';

/**
 * The cookie reaches `/admin/*` pages only (never the `/v1` API, which takes bearer tokens alone),
 * is invisible to scripts (HttpOnly) and is not sent on cross-site requests (SameSite=Strict: the
 * dashboard's API has actions such as retry and clean, so no other site may trigger them). Secure
 * in production; plain HTTP is allowed elsewhere so that a local `npm start` works.
 */
export const adminCookieOptions = (secure: boolean): CookieSerializeOptions => ({
  path: ADMIN_COOKIE_PATH,
  httpOnly: true,
  sameSite: 'strict',
  secure,
});
