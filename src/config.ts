import { z } from 'zod';

/** Used only outside production, so that a fresh clone runs without setup. */
const DEVELOPMENT_JWT_SECRET = 'kindred-development-secret-do-not-use-in-production';

const isValidTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/ })
      .default('postgres://postgres@127.0.0.1:5432/kindred'),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
    PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Key of the audit log's pseudonyms; derived from JWT_SECRET when unset. */
    AUDIT_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ISSUER: z.string().min(1).default('kindred'),
    JWT_AUDIENCE: z.string().min(1).default('kindred-api'),
    MATCH_TIMEZONE: z.string().refine(isValidTimeZone, 'must be an IANA time zone').default('Asia/Shanghai'),
    K_ANON: positiveInt(20),
    /** Evaluations score the decided matches of this many days up to their date (outcomes). */
    EVALUATION_OUTCOME_DAYS: positiveInt(90),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REPORT_SUSPEND_THRESHOLD: positiveInt(3),
    SCORE_SHARDS: positiveInt(4),
    SCORE_THREADS: positiveInt(2),
    WORKER_CONCURRENCY: positiveInt(1),
    NIGHTLY_CRON: z.string().min(1).default('0 3 * * *'),
    QUEUE_PREFIX: z.string().min(1).default('{kindred}'),
    /** How often a worker re-enqueues unfinished runs from Postgres (after a Redis loss). */
    RECONCILE_INTERVAL_MS: positiveInt(30_000),
    /** BullMQ job lock: a killed worker's job is taken over once it expires. */
    WORKER_LOCK_MS: positiveInt(30_000),
    RATE_LIMIT_MAX: positiveInt(600),
    /** Per user and minute: GET /v1/me/match (the card is fixed all day; clients need not poll). */
    MATCH_RATE_LIMIT_MAX: positiveInt(120),
    /** Per user, minute and route: decisions, guesses, reveals, blocks and reports. */
    MATCH_ACTION_RATE_LIMIT_MAX: positiveInt(30),
    BODY_LIMIT_BYTES: positiveInt(8 * 1024 * 1024),
    PG_POOL_MAX: positiveInt(10),
    PG_STATEMENT_TIMEOUT_MS: positiveInt(30_000),
  })
  .transform(({ JWT_SECRET, ...env }) => ({ ...env, JWT_SECRET: JWT_SECRET ?? DEVELOPMENT_JWT_SECRET }));

export type Config = z.infer<typeof EnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses an environment (empty strings count as unset); throws ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = EnvSchema.safeParse(present);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`);
  // Checked apart from the schema so that it is reported together with every other problem.
  if (present['NODE_ENV'] === 'production' && present['JWT_SECRET'] === undefined) {
    problems.push('JWT_SECRET: is required in production');
  }
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

/** The only reader of process.env: prints every problem with its variable and exits 1. */
export function loadConfig(overrides: Partial<Record<string, string>> = {}): Config {
  try {
    return parseConfig({ ...process.env, ...overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
