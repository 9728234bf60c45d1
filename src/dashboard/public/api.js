/* global fetch, sessionStorage */
// The analyst API as the page uses it: bearer token from session storage, the project's one error shape.

const TOKEN_KEY = 'kindred.analyst.token';

export const tokenStore = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A non-2xx answer: `{ error: { code, message, details: [{ path, message }] } }` from the API. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `HTTP ${String(status)}`);
    this.status = status;
    this.code = error.code ?? 'http_error';
    this.details = Array.isArray(error.details) ? error.details : [];
  }
}

/**
 * `onAuthFailure(error)` runs on a 401 or 403 (the token is missing, expired, or lacks the role);
 * the error is thrown to the caller as well.
 */
export function createApi(onAuthFailure) {
  async function request(method, path, body) {
    const headers = { authorization: `Bearer ${tokenStore.get() ?? ''}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const payload = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new ApiError(response.status, payload);
      if (response.status === 401 || response.status === 403) onAuthFailure(error);
      throw error;
    }
    return payload;
  }
  return {
    get: (path) => request('GET', path),
    post: (path, body) => request('POST', path, body),
  };
}

/** "400 invalid_request: body is invalid" for a message line. */
export const describeError = (error) =>
  error instanceof ApiError ? `${String(error.status)} ${error.code}: ${error.message}` : String(error);
