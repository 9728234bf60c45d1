import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { z } from 'zod';
import { AppError, type ErrorDetail } from '../errors.ts';

/** The one error shape of the API (design section 3); every route lists it in its responses. */
export const ErrorBody = z
  .looseObject({
    error: z.looseObject({
      code: z.string().meta({ description: 'snake_case, stable: clients branch on it' }),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })),
    }),
  })
  .meta({ id: 'ErrorBody', description: 'Every error: a code, a human message, field details.' });
export type ErrorBody = z.infer<typeof ErrorBody>;

type ErrorResponse = { status: number; body: ErrorBody; headers?: Record<string, string> };

const REQUEST_PARTS = ['params', 'body', 'querystring', 'headers'] as const;
type RequestPart = (typeof REQUEST_PARTS)[number];

const partValue = (request: FastifyRequest, part: RequestPart): unknown => {
  switch (part) {
    case 'params':
      return request.params;
    case 'body':
      return request.body;
    case 'querystring':
      return request.query;
    case 'headers':
      return request.headers;
  }
};

const joinPath = (part: string, path: readonly PropertyKey[]): string =>
  [part, ...path.map((p) => String(p))].join('.');

/**
 * Fastify stops at the first failing request part; to name every bad field at once, the route's
 * zod schemas are re-run on each part here (only on the error path).
 */
function validationDetails(error: FastifyError, request: FastifyRequest): ErrorDetail[] {
  const schema = (request.routeOptions.schema ?? {}) as Partial<Record<RequestPart, unknown>>;
  const details: ErrorDetail[] = [];
  for (const part of REQUEST_PARTS) {
    const partSchema = schema[part];
    if (!(partSchema instanceof z.ZodType)) continue;
    const result = partSchema.safeParse(partValue(request, part));
    if (result.success) continue;
    for (const issue of result.error.issues) {
      details.push({ path: joinPath(part, issue.path), message: issue.message });
    }
  }
  if (details.length > 0) return details;
  // Not a zod schema (a plugin's JSON schema): fall back to fastify's own description.
  const context = error.validationContext ?? 'request';
  return (error.validation ?? []).map((v) => ({
    path: joinPath(
      context,
      v.instancePath.split('/').filter((s) => s !== ''),
    ),
    message: v.message ?? 'invalid',
  }));
}

const UNAVAILABLE_CODES = new Set([
  // Postgres: admin/crash shutdown, cannot connect now, too many connections, connection failures.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  // Sockets.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

const UNAVAILABLE_MESSAGES = [
  'timeout exceeded when trying to connect', // pg pool: no client within connectionTimeoutMillis
  'Connection terminated',
  'Client has encountered a connection error',
  'Connection is closed', // ioredis
  "Stream isn't writeable", // ioredis without offline queue
  'Reached the max retries per request limit', // ioredis
];

/** True for errors meaning "Postgres or Redis cannot be reached right now" (checks causes too). */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, message, name, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    name?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (name === 'MaxRetriesPerRequestError') return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.includes(m))) return true;
  if (Array.isArray(errors) && errors.some((e) => isDependencyUnavailable(e, depth + 1))) return true;
  return isDependencyUnavailable(cause, depth + 1);
}

const body = (
  code: string,
  message: string,
  details: ErrorDetail[] = [],
  extra: Record<string, unknown> = {},
): ErrorBody => ({
  error: { ...extra, code, message, details: details.map(({ path, message: m }) => ({ path, message: m })) },
});

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'payload_too_large',
    message: 'request body is larger than the limit',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', message: 'body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'body is empty' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'content type is not supported',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    message: 'content length does not match the body',
  },
};

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
  431: 'headers_too_large',
};

/** Maps any error to a status and the one error body; logs what the client does not see. */
export function toErrorResponse(error: unknown, request: FastifyRequest): ErrorResponse {
  if (error instanceof AppError) {
    return { status: error.status, body: body(error.code, error.message, error.details, error.extra) };
  }
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation)) {
    const details = validationDetails(fastifyError, request);
    return {
      status: 400,
      body: body('invalid_request', `request is invalid: ${String(details.length)} problem(s)`, details),
    };
  }
  const known = typeof fastifyError.code === 'string' ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known !== undefined) return { status: known.status, body: body(known.code, known.message) };
  if (isDependencyUnavailable(error)) {
    request.log.warn({ err: error }, 'dependency unavailable');
    return {
      status: 503,
      body: body('service_unavailable', 'a backing service is unavailable, retry later'),
      headers: { 'retry-after': '5' },
    };
  }
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: body(STATUS_CODES[status] ?? 'bad_request', fastifyError.message) };
  }
  request.log.error({ err: error }, 'unhandled error');
  return {
    status: 500,
    body: body('internal_error', `internal error; quote request id ${request.id} when reporting it`),
  };
}

export const sendError = (reply: FastifyReply, response: ErrorResponse): FastifyReply => {
  if (response.headers !== undefined) void reply.headers(response.headers);
  return reply.code(response.status).type('application/json; charset=utf-8').send(response.body);
};

/** Installs the one error handler and the 404 handler on the root instance. */
export function registerErrorHandling(
  app: FastifyInstance,
  notFoundPreHandler?: preHandlerAsyncHookHandler,
): void {
  app.setErrorHandler((error, request, reply) => sendError(reply, toErrorResponse(error, request)));
  const notFound = (request: FastifyRequest, reply: FastifyReply): FastifyReply =>
    sendError(reply, {
      status: 404,
      body: body('not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
    });
  if (notFoundPreHandler === undefined) app.setNotFoundHandler(notFound);
  else app.setNotFoundHandler({ preHandler: notFoundPreHandler }, notFound);
}
