import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCsv } from './csv.ts';

/**
 * Loads a population written by `npm run gen` through the public API, exactly as the payment
 * platform and the users' apps would: merchants and transactions with the API key, profiles and
 * consents with each user's token. Platform ids are `u<id>` and `m<id>`.
 */
export type HttpLoaderOptions = {
  baseUrl: string;
  apiKey: string;
  tokenFor: (userId: string) => string;
  policyVersion: string;
  concurrency: number;
  onProgress?: (phase: string, done: number, total: number) => void;
};

export type LoadSummary = {
  users: number;
  merchants: number;
  transactionsAccepted: number;
  transactionsDuplicate: number;
  transactionsRejected: number;
};

const BATCH = 5_000;

export const demoUserId = (id: string | number): string => `u${id}`;
const merchantId = (id: string | number): string => `m${id}`;

async function call(url: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(url, init);
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(
      `${init.method ?? 'GET'} ${new URL(url).pathname} answered ${response.status}: ${JSON.stringify(body)}`,
    );
  }
  return body;
}

/** Runs `task` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      await task(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function loadPopulationOverHttp(dir: string, options: HttpLoaderOptions): Promise<LoadSummary> {
  const { baseUrl, apiKey, tokenFor, concurrency } = options;
  const progress = options.onProgress ?? (() => undefined);
  const json = (token: string, method: string, body: unknown, extra: Record<string, string> = {}) => ({
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra },
    body: JSON.stringify(body),
  });

  const merchants = parseCsv(readFileSync(join(dir, 'merchants.csv'), 'utf8')).map((m) => ({
    merchantId: merchantId(m['merchant_id'] ?? ''),
    name: m['name'] ?? '',
    category: m['category'] ?? 'other',
    ...(m['city'] ? { city: m['city'] } : {}),
    ...(m['lat'] && m['lng'] ? { lat: Number(m['lat']), lng: Number(m['lng']) } : {}),
  }));
  let done = 0;
  await eachLimited(chunks(merchants, BATCH), concurrency, async (batch) => {
    await call(`${baseUrl}/v1/merchants`, json(apiKey, 'PUT', { merchants: batch }));
    done += batch.length;
    progress('merchants', done, merchants.length);
  });

  const profiles = readFileSync(join(dir, 'profiles.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown> & { userId: number });
  done = 0;
  await eachLimited(profiles, concurrency, async ({ userId, ...profile }) => {
    const token = tokenFor(demoUserId(userId));
    await call(`${baseUrl}/v1/me/profile`, json(token, 'PUT', profile));
    for (const purpose of ['transactions', 'matching']) {
      await call(
        `${baseUrl}/v1/me/consents`,
        json(token, 'POST', { purpose, policyVersion: options.policyVersion }),
      );
    }
    done += 1;
    if (done % 100 === 0 || done === profiles.length)
      progress('profiles and consents', done, profiles.length);
  });

  const transactions = parseCsv(readFileSync(join(dir, 'transactions.csv'), 'utf8')).map((t) => ({
    transactionId: t['transaction_id'] ?? '',
    userId: demoUserId(t['user_id'] ?? ''),
    merchantId: merchantId(t['merchant_id'] ?? ''),
    amountCents: Number(t['amount_cents']),
    currency: t['currency'] ?? 'CNY',
    occurredAt: t['occurred_at'] ?? '',
  }));
  const summary: LoadSummary = {
    users: profiles.length,
    merchants: merchants.length,
    transactionsAccepted: 0,
    transactionsDuplicate: 0,
    transactionsRejected: 0,
  };
  done = 0;
  await eachLimited(chunks(transactions, BATCH), concurrency, async (batch, index) => {
    const result = (await call(
      `${baseUrl}/v1/transactions`,
      json(apiKey, 'POST', { transactions: batch }, { 'idempotency-key': `demo-batch-${index}` }),
    )) as { accepted: number; duplicate: number; rejected: unknown[] };
    summary.transactionsAccepted += result.accepted;
    summary.transactionsDuplicate += result.duplicate;
    summary.transactionsRejected += result.rejected.length;
    done += batch.length;
    progress('transactions', done, transactions.length);
  });
  return summary;
}
