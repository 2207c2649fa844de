import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';

/**
 * A small JSON document kept in memory and written atomically (temp file + rename, mode 0o600) on
 * every change, for the local git server's tokens, pull requests and branch protections. Changes run
 * one at a time, so a read-modify-write never loses a concurrent one. One live instance per file.
 */
export class JsonStateFile<T> {
  private state: T;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: string,
    empty: () => T,
  ) {
    this.state = load(file) ?? empty();
  }

  read(): T {
    return this.state;
  }

  /** Runs `change` on the state and persists it; memory stays at the last written state on failure. */
  update<R>(change: (state: T) => R | Promise<R>): Promise<R> {
    const run = this.tail.then(async () => {
      const next = structuredClone(this.state);
      const result = await change(next);
      await write(this.file, next);
      this.state = next;
      return result;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function load<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${file} is not readable JSON; refusing to overwrite it (move it aside to start empty)`);
  }
}

async function write(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(value));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
