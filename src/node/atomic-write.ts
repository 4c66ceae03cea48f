/**
 * Atomic file replacement: the bytes go to a temporary file in the target's own directory, are
 * flushed to disk (fsync), and the temporary file is then renamed over the target. A rename
 * within one directory is atomic on POSIX file systems, so a reader (or a crash) sees either
 * the old file or the complete new one, never a partial write.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file operations the atomic write uses; replaceable so tests can inject failures. */
export interface AtomicWriteIo {
  open(path: string, flags: string): Promise<WritableFile>;
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/** The subset of `fs.promises.FileHandle` the atomic write needs. */
export interface WritableFile {
  writeFile(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The real file system. */
export const nodeIo: AtomicWriteIo = {
  open: (path, flags) => open(path, flags),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
};

/**
 * Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename.
 * On failure the temp file is removed, `path` keeps its previous contents, and the error is rethrown.
 * @example await writeFileAtomic('run/model.safetensors', bytes);
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, io: AtomicWriteIo = nodeIo): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let file: WritableFile | undefined;
  try {
    // why: 'wx' fails if the name exists, so two writers never share a temporary file.
    file = await io.open(temporary, 'wx');
    await file.writeFile(bytes);
    await file.sync();
    await file.close();
    file = undefined;
    await io.rename(temporary, path);
  } catch (error) {
    await file?.close().catch(() => undefined);
    await io.remove(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(directory);
}

/** Makes the rename itself durable. Best effort: some platforms cannot open a directory. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // why: the new file is complete either way; only durability across a power cut is at stake.
  }
}
