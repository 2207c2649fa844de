import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'sealed:v1:';

/**
 * AES-256-GCM for what the local stack keeps on disk and SQS would keep encrypted with KMS (queue
 * bodies may hold a secret someone pasted in chat until it is taken out). The key file is made
 * once with mode 0600; one that group or others could read is refused, not trusted.
 */
export class BodySealer {
  private constructor(private readonly key: Buffer) {}

  static fromKeyFile(file: string): BodySealer {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      const descriptor = openSync(file, 'wx', 0o600);
      try {
        writeSync(descriptor, randomBytes(KEY_BYTES));
      } finally {
        closeSync(descriptor);
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const mode = statSync(file).mode;
    if ((mode & 0o077) !== 0) {
      throw new Error(
        `${file} is readable by group or others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    chmodSync(file, 0o600);
    const key = readFileSync(file);
    if (key.length !== KEY_BYTES) throw new Error(`${file} does not hold a ${KEY_BYTES}-byte key`);
    return new BodySealer(key);
  }

  /** @param context bound as additional data: a sealed body moved to another message fails. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64');
  }

  open(sealed: string, context: string): string {
    if (!sealed.startsWith(PREFIX)) throw new Error('Not a sealed body');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    );
  }
}
