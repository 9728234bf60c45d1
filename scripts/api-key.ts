import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfig } from '../src/config.ts';
import { createDb, createPool } from '../src/db/database.ts';
import { createLogger } from '../src/logger.ts';
import { API_SCOPES, createApiClientRepository } from '../src/modules/api-clients/api-clients.repository.ts';

/**
 * npm run api-key -- create --name N --scope ingest   prints the new key, once
 * npm run api-key -- list                             names, key prefixes, scopes, state
 * npm run api-key -- revoke --name N
 */
const USAGE = [
  'usage: npm run api-key -- create --name <name> --scope ingest [--scope ...]',
  '       npm run api-key -- list',
  '       npm run api-key -- revoke --name <name>',
].join('\n');

const Name = z.string().min(1).max(100);
const Command = z.discriminatedUnion('command', [
  z.object({ command: z.literal('create'), name: Name, scope: z.array(z.enum(API_SCOPES)).min(1) }),
  z.object({ command: z.literal('list') }),
  z.object({ command: z.literal('revoke'), name: Name }),
]);

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

let raw: Record<string, unknown>;
try {
  const { values, positionals } = parseArgs({
    options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) fail('expected exactly one command: create, list or revoke');
  raw = { command: positionals[0], ...values };
} catch (error) {
  fail((error as Error).message);
}
const parsed = Command.safeParse(raw);
if (!parsed.success) {
  fail(
    parsed.error.issues
      .map((i) => `${i.path.length > 0 ? `--${i.path.join('.')}` : 'command'}: ${i.message}`)
      .join('\n'),
  );
}

const config = loadConfig();
const log = createLogger({ LOG_LEVEL: 'warn' });
const db = createDb(createPool({ connectionString: config.DATABASE_URL, max: 1 }, log));
const apiClients = createApiClientRepository(db);
const args = parsed.data;
try {
  if (args.command === 'create') {
    if ((await apiClients.findByName(args.name)) !== undefined) {
      process.stderr.write(`a client named "${args.name}" already exists\n`);
      process.exitCode = 1;
    } else {
      const { client, key } = await apiClients.create({ name: args.name, scopes: args.scope });
      process.stderr.write(
        `created client "${client.name}" (scopes: ${client.scopes.join(', ')}); the key is shown once:\n`,
      );
      process.stdout.write(`${key}\n`);
    }
  } else if (args.command === 'list') {
    for (const client of await apiClients.list()) {
      const state = client.revokedAt === null ? 'active' : `revoked ${client.revokedAt.toISOString()}`;
      process.stdout.write(`${client.name}\t${client.keyPrefix}…\t${client.scopes.join(',')}\t${state}\n`);
    }
  } else if (await apiClients.revoke(args.name, new Date())) {
    process.stdout.write(`revoked "${args.name}"\n`);
  } else {
    process.stderr.write(`no active client named "${args.name}"\n`);
    process.exitCode = 1;
  }
} finally {
  await db.destroy();
}
