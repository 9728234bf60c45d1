import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs a repository script under tsx, as `npm run` would; never throws on a non-zero exit. */
export async function runScript(script: string, args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Generates a synthetic population with planted ties into a fresh temporary directory. */
export async function generateData(
  users: number,
  seed: number,
): Promise<{ dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'kindred-eval-'));
  const result = await runScript('scripts/gen.ts', [
    '--users',
    String(users),
    '--seed',
    String(seed),
    '--out',
    dir,
  ]);
  if (result.code !== 0) throw new Error(`gen failed: ${result.stderr}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
