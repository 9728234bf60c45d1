import { loadConfig } from '../src/config.ts';
import { ensureDatabase, migrateToLatest } from '../src/db/migrate.ts';

const config = loadConfig();
const created = await ensureDatabase(config.DATABASE_URL);
if (created) process.stdout.write(`created database ${new URL(config.DATABASE_URL).pathname.slice(1)}\n`);
const { results = [] } = await migrateToLatest(config.DATABASE_URL);
for (const r of results)
  process.stdout.write(`${r.status === 'Success' ? 'applied' : r.status}: ${r.migrationName}\n`);
if (results.length === 0) process.stdout.write('database is up to date\n');
