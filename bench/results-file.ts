import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

/** bench/RESULTS.md, where every benchmark appends its figures. */
export const RESULTS_PATH = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

/**
 * Appends `section` to bench/RESULTS.md and formats the file as `npm run lint` (prettier --check)
 * wants it: the tables the benchmarks write get aligned columns.
 */
export async function appendResults(section: string): Promise<void> {
  await appendFile(RESULTS_PATH, section);
  const formatted = await format(await readFile(RESULTS_PATH, 'utf8'), {
    ...(await resolveConfig(RESULTS_PATH)),
    filepath: RESULTS_PATH,
  });
  await writeFile(RESULTS_PATH, formatted);
}
