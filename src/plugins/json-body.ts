import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.ts';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parses JSON bodies and refuses prototype-poisoning keys (`__proto__`, `constructor`,
 * `prototype`) anywhere in the document with 400 `forbidden_json_key`, so that no later spread or
 * merge can pick them up. The reviver pass runs only when the text could hold such a key
 * (or a `\u` escape that could spell one), so ordinary bodies parse at JSON.parse speed.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new AppError(400, 'malformed_json', 'body is empty');
  const suspicious =
    text.includes('__proto__') ||
    text.includes('constructor') ||
    text.includes('prototype') ||
    text.includes('\\u');
  try {
    if (!suspicious) return JSON.parse(text) as unknown;
    return JSON.parse(text, (key, value: unknown) => {
      if (FORBIDDEN_KEYS.has(key)) {
        throw new AppError(400, 'forbidden_json_key', `the key "${key}" is not allowed in a request body`);
      }
      return value;
    }) as unknown;
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError(400, 'malformed_json', 'body is not valid JSON');
  }
}

/** Replaces fastify's JSON parser (same body limit) with {@link parseJsonBody}. */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    try {
      done(null, parseJsonBody(text as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
