import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../../ports/blob-store.ts';

/** Blobs as files in one directory (the data dir), written atomically. Keys are flat names. */
export class FileBlobStore implements BlobStore {
  constructor(private readonly dir: string) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async put(key: string, body: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path(key)}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, body, { mode: 0o600 });
    await rename(temp, this.path(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  private path(key: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(key) || key.includes('..'))
      throw new Error(`Not a blob name: ${key}`);
    return join(this.dir, key);
  }
}
