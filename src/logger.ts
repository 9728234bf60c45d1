import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.ts';

export type { Logger } from 'pino';

const SECRET_HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-api-key', 'idempotency-key'];

/** Fields of design section 6 (and credentials) that must never reach a log line. */
const SENSITIVE_FIELDS = [
  'authorization',
  'cookie',
  'password',
  'token',
  'accessToken',
  'apiKey',
  'key',
  'secret',
  'displayName',
  'display_name',
  'contactHandle',
  'contact_handle',
  'birthYear',
  'birth_year',
  'seeking',
  'amountCents',
  'amount_cents',
  'transactions',
  'body',
];

/**
 * Explicit redact paths. pino's `*` matches one level only, so each field is listed at the
 * depths where it occurs (top level, inside one object, inside a list item of one object).
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`, `request.headers["${h}"]`]),
  ...SENSITIVE_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`, `*[*].${f}`, `*.*[*].${f}`]),
  'transactions[*].amountCents',
  '*.transactions[*].amountCents',
];

type SerializedRequest = { method: string; route: string };

/**
 * Requests are logged by method and route pattern only: no raw URL (path parameters and query
 * strings can carry user ids), no headers, no body, no client address.
 */
const serializeRequest = (req: {
  method?: string;
  routeOptions?: { url?: string | undefined };
}): SerializedRequest => ({
  method: req.method ?? 'UNKNOWN',
  route: req.routeOptions?.url ?? 'unmatched',
});

const serializeResponse = (res: { statusCode?: number }): { statusCode: number | undefined } => ({
  statusCode: res.statusCode,
});

/**
 * Errors keep their type, message, code and stack; driver fields that echo row values
 * (Postgres `detail`, `where`, query parameters) are dropped.
 */
const serializeError = (error: unknown): Record<string, unknown> => {
  if (!(error instanceof Error)) return { message: String(error) };
  const base = stdSerializers.err(error);
  const pgFields = error as { code?: unknown; constraint?: unknown; table?: unknown };
  return {
    type: base.type,
    message: base.message,
    stack: base.stack,
    ...(typeof pgFields.code === 'string' ? { code: pgFields.code } : {}),
    ...(typeof pgFields.constraint === 'string' ? { constraint: pgFields.constraint } : {}),
    ...(typeof pgFields.table === 'string' ? { table: pgFields.table } : {}),
  };
};

/**
 * The process logger: JSON lines, level from config, redaction and safe serializers.
 * Tests pass a destination stream to capture the lines.
 */
export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'>,
  destination?: DestinationStream,
  bindings: Record<string, unknown> = {},
): Logger {
  const options = {
    level: config.LOG_LEVEL,
    base: { ...bindings },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { req: serializeRequest, res: serializeResponse, err: serializeError },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
