import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { closeDeps, createDeps } from './deps.ts';

/**
 * The API process: config → deps → app → listen. On SIGTERM/SIGINT (or a crash) it stops taking
 * connections, lets in-flight requests finish (at most 10 s), then closes Postgres and Redis.
 */
const config = loadConfig();
const deps = createDeps(config);
const log = deps.log;

try {
  const app = await buildApp(deps);
  closeWithGrace(
    { delay: 10_000, logger: { error: (message: string) => log.error(message) } },
    async ({ signal, err }) => {
      if (err !== undefined) log.error({ err }, 'closing after an uncaught error');
      else log.info({ signal }, 'closing');
      await app.close();
      await closeDeps(deps);
    },
  );
  const address = await app.listen({ host: config.HOST, port: config.PORT });
  log.info({ address, env: config.NODE_ENV }, 'kindred api listening');
} catch (error) {
  log.fatal({ err: error }, 'failed to start');
  await closeDeps(deps);
  process.exitCode = 1;
}
