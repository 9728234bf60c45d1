import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.ts';

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('parseConfig', () => {
  it('fills every default from an empty environment', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/kindred',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: 3000,
      HOST: '127.0.0.1',
      JWT_ISSUER: 'kindred',
      JWT_AUDIENCE: 'kindred-api',
      MATCH_TIMEZONE: 'Asia/Shanghai',
      K_ANON: 20,
      LOG_LEVEL: 'info',
      RATE_LIMIT_MAX: 600,
      BODY_LIMIT_BYTES: 8 * 1024 * 1024,
      QUEUE_PREFIX: '{kindred}',
      NIGHTLY_CRON: '0 3 * * *',
    });
    expect(config.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('treats empty strings as unset and coerces numbers', () => {
    const config = parseConfig({ PORT: '', K_ANON: '5', RATE_LIMIT_MAX: '10', BODY_LIMIT_BYTES: '1024' });
    expect(config.PORT).toBe(3000);
    expect(config.K_ANON).toBe(5);
    expect(config.RATE_LIMIT_MAX).toBe(10);
    expect(config.BODY_LIMIT_BYTES).toBe(1024);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      NODE_ENV: 'staging',
      DATABASE_URL: 'mysql://localhost/kindred',
      REDIS_URL: 'not a url',
      PORT: '70000',
      JWT_SECRET: 'short',
      MATCH_TIMEZONE: 'Mars/Olympus',
      K_ANON: '0',
      LOG_LEVEL: 'loud',
      RATE_LIMIT_MAX: '-1',
      BODY_LIMIT_BYTES: 'big',
    });
    const named = problems.map((p) => p.split(':')[0]);
    expect(new Set(named)).toEqual(
      new Set([
        'NODE_ENV',
        'DATABASE_URL',
        'REDIS_URL',
        'PORT',
        'JWT_SECRET',
        'MATCH_TIMEZONE',
        'K_ANON',
        'LOG_LEVEL',
        'RATE_LIMIT_MAX',
        'BODY_LIMIT_BYTES',
      ]),
    );
  });

  it('refuses production without JWT_SECRET, and reports it with the other problems', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual(['JWT_SECRET: is required in production']);
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'x' });
    expect(problems).toContain('JWT_SECRET: is required in production');
    expect(problems.some((p) => p.startsWith('PORT:'))).toBe(true);
  });

  it('accepts production with a long enough secret', () => {
    const secret = 'x'.repeat(40);
    const config = parseConfig({ NODE_ENV: 'production', JWT_SECRET: secret });
    expect(config.JWT_SECRET).toBe(secret);
  });

  it('the message of ConfigError lists each problem on its own line', () => {
    try {
      parseConfig({ PORT: 'x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/PORT: .*\n.*LOG_LEVEL: /s);
    }
  });
});
