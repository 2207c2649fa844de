import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { SecretNotFoundError, type SecretStore } from '../../ports/secrets.ts';

export interface EncryptedFileSecretStoreOptions {
  /** Holds `secrets.key` and one encrypted file per secret; created with mode 0o700. */
  dir: string;
}

/** A secret file was altered, truncated, moved from another name, or sealed with another key. */
export class SecretIntegrityError extends Error {
  constructor(
    readonly secretName: string,
    readonly file: string,
  ) {
    super(`Secret "${secretName}" failed its integrity check: ${file} was altered or does not belong to it`);
    this.name = 'SecretIntegrityError';
  }
}

/** The key file is missing protection or has the wrong shape; the store will not use it. */
export class SecretKeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyFileError';
  }
}

interface SealedSecret {
  v: 1;
  iv: string;
  tag: string;
  ciphertext: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * SecretStore for the local stack: each secret is AES-256-GCM sealed in its own file under `dir`,
 * named by the SHA-256 of the secret name so names with `/` are safe and no name is revealed. The
 * name is the GCM additional data, so a file copied over another name's file fails to open. The
 * key is a random 32 bytes in `dir/secrets.key`, made on first use; a key file that group or others
 * could read is refused rather than trusted (fail closed).
 */
export class EncryptedFileSecretStore implements SecretStore {
  private readonly dir: string;
  private readonly keyFile: string;
  private key: Promise<Buffer> | undefined;

  constructor(options: EncryptedFileSecretStoreOptions) {
    this.dir = options.dir;
    this.keyFile = join(options.dir, 'secrets.key');
  }

  async get(name: string): Promise<string> {
    const key = await this.loadKey();
    const file = this.fileFor(name);
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SecretNotFoundError(name);
      throw error;
    }
    return unseal(key, name, file, raw);
  }

  async put(name: string, value: string): Promise<void> {
    const key = await this.loadKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadFor(name));
    const ciphertext = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const sealed: SealedSecret = {
      v: 1,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ciphertext: ciphertext.toString('base64'),
    };
    const file = this.fileFor(name);
    const temp = await writeTemp(this.dir, JSON.stringify(sealed));
    await rename(temp, file).catch(async (error: unknown) => {
      await unlink(temp).catch(() => undefined);
      throw error;
    });
  }

  async delete(name: string): Promise<void> {
    await this.loadKey();
    // Deleting an absent secret is not an error: the caller's goal (no such secret) holds.
    await unlink(this.fileFor(name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  private fileFor(name: string): string {
    return join(this.dir, `${createHash('sha256').update(name, 'utf8').digest('hex')}.secret.json`);
  }

  /** Memoized; a failure is not, so fixing the key file's mode takes effect on the next call. */
  private loadKey(): Promise<Buffer> {
    this.key ??= this.readOrCreateKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private async readOrCreateKey(): Promise<Buffer> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const existing = await stat(this.keyFile).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (!existing) await this.createKey();
    const info = await stat(this.keyFile);
    if (!info.isFile()) throw new SecretKeyFileError(`${this.keyFile} is not a regular file`);
    if ((info.mode & 0o077) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new SecretKeyFileError(
        `Refusing to use ${this.keyFile}: its mode ${mode} lets group or others access it. ` +
          `Run \`chmod 600 ${this.keyFile}\` if the key was never exposed; otherwise delete the directory and re-enter the secrets.`,
      );
    }
    const key = await readFile(this.keyFile);
    if (key.length !== KEY_BYTES) {
      throw new SecretKeyFileError(
        `${this.keyFile} holds ${key.length} bytes; an AES-256 key is ${KEY_BYTES}`,
      );
    }
    return key;
  }

  /** Written whole to a temp file, then linked into place: two first uses cannot both win. */
  private async createKey(): Promise<void> {
    const temp = await writeTemp(this.dir, randomBytes(KEY_BYTES));
    try {
      await link(temp, this.keyFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temp);
    }
  }
}

function aadFor(name: string): Buffer {
  return Buffer.from(`secret-name:${name}`, 'utf8');
}

/** Decrypts a sealed file; every failure (bad JSON, shape, tag, name) is one integrity error. */
function unseal(key: Buffer, name: string, file: string, raw: string): string {
  try {
    const sealed = JSON.parse(raw) as Partial<SealedSecret> | null;
    if (sealed?.v !== 1 || typeof sealed.iv !== 'string' || typeof sealed.tag !== 'string') {
      throw new Error('unrecognized layout');
    }
    const iv = Buffer.from(sealed.iv, 'base64');
    const tag = Buffer.from(sealed.tag, 'base64');
    // GCM would accept a truncated tag; insisting on the full length keeps forgery out of reach.
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES || typeof sealed.ciphertext !== 'string') {
      throw new Error('unrecognized layout');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadFor(name));
    decipher.setAuthTag(tag);
    const plain = Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]);
    return plain.toString('utf8');
  } catch {
    throw new SecretIntegrityError(name, file);
  }
}

async function writeTemp(dir: string, data: string | Buffer): Promise<string> {
  const temp = join(dir, `.${randomUUID()}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return temp;
}
