import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.js';

/**
 * Checks, before any work starts, that `path` (relative to `cwd`) can be written: its folder
 * exists and it is not itself a folder. Returns the absolute path.
 * @throws UsageError (exit code 2) naming the option otherwise.
 * @example
 * await checkOutputPath('gradguard study', '--out', 'report.html', process.cwd()); // '/home/me/report.html'
 */
export async function checkOutputPath(command: string, option: string, path: string, cwd: string): Promise<string> {
  if (path.trim() === '') throw new UsageError(command, `${option} needs a file path, got ''`);
  const target = resolve(cwd, path);
  const folder = await stat(dirname(target)).catch(() => null);
  if (folder === null || !folder.isDirectory()) throw new UsageError(command, `${option}: folder '${dirname(target)}' does not exist`);
  const existing = await stat(target).catch(() => null);
  if (existing?.isDirectory() === true) throw new UsageError(command, `${option}: '${target}' is a folder, not a file`);
  return target;
}

/**
 * Writes `content` to `path` so that the file is either absent, or old, or complete: the text
 * goes to a temporary file beside it, which is then renamed over `path` (atomic on one file system).
 * @example
 * await writeFileAtomic('/tmp/gradguard-report.html', html);
 */
export async function writeFileAtomic(path: string, content: string): Promise<string> {
  const target = resolve(path);
  const temporary = `${target}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, content);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return target;
}
