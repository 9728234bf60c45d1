/** One detail of a failed request: the field path and the reason, as the API's error body lists them. */
export type ErrorDetail = { path: string; message: string; code?: string };

/**
 * A failure a client can act on. Services throw it; the one error handler maps it to
 * `{ error: { code, message, details } }` with its status.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, details: ErrorDetail[] = []): AppError =>
  new AppError(400, 'invalid_request', message, details);
export const notFound = (code: string, message: string, extra: Record<string, unknown> = {}): AppError =>
  new AppError(404, code, message, [], extra);
export const conflict = (code: string, message: string): AppError => new AppError(409, code, message);
export const forbidden = (message = 'not allowed'): AppError => new AppError(403, 'forbidden', message);
export const serviceUnavailable = (message = 'temporarily unavailable, retry later'): AppError =>
  new AppError(503, 'service_unavailable', message);
