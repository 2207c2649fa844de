import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EncryptedFileSecretStore,
  SecretIntegrityError,
  SecretKeyFileError,
} from '../../../lambdas/adapters/local/encrypted-file-secrets.ts';
import { SecretNotFoundError } from '../../../lambdas/ports/secrets.ts';

let root: string;
let dir: string;

const openStore = () => new EncryptedFileSecretStore({ dir });
const keyFile = () => join(dir, 'secrets.key');
// The on-disk name is part of the format: sha256 of the secret name, so no name is revealed.
const fileOf = (name: string) => join(dir, `${createHash('sha256').update(name).digest('hex')}.secret.json`);

/** Every file under `dir`, as raw bytes. */
async function allFiles(): Promise<Map<string, Buffer>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = new Map<string, Buffer>();
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    files.set(path, await readFile(path));
  }
  return files;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'secrets-'));
  dir = join(root, 'secrets');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('EncryptedFileSecretStore round trip', () => {
  it.each([
    { name: 'orchestrator/telegram/bot-token', value: '123456:ABC-def' },
    { name: 'projects/p-1/OPENAI_KEY', value: 'ünïcødé ✓ 🔑' },
    { name: 'empty', value: '' },
    { name: '../../escape', value: 'stays inside dir' },
  ])('stores and reads back $name', async ({ name, value }) => {
    // Prepare
    const store = openStore();

    // Act
    await store.put(name, value);

    // Assess
    expect(await store.get(name)).toBe(value);
    expect((await stat(fileOf(name))).isFile()).toBe(true);
  });

  it('throws SecretNotFoundError for a name never stored', async () => {
    // Act
    const reading = openStore().get('projects/p-1/MISSING');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretNotFoundError);
    await expect(reading).rejects.toMatchObject({ secretName: 'projects/p-1/MISSING' });
  });

  it('overwrites a value and deletes it; deleting again is a no-op', async () => {
    // Prepare
    const store = openStore();
    await store.put('k', 'one');
    await store.put('k', 'two');
    const overwritten = await store.get('k');

    // Act
    await store.delete('k');
    await store.delete('k');

    // Assess
    expect(overwritten).toBe('two');
    await expect(store.get('k')).rejects.toBeInstanceOf(SecretNotFoundError);
  });

  it('reads back secrets written by an earlier instance', async () => {
    // Prepare
    await openStore().put('projects/p-1/TOKEN', 'persisted');

    // Act
    const value = await openStore().get('projects/p-1/TOKEN');

    // Assess
    expect(value).toBe('persisted');
  });
});

describe('EncryptedFileSecretStore on disk', () => {
  it('writes nothing in plaintext: neither the value nor the name appears in any file', async () => {
    // Prepare
    const value = `canary-value-${randomUUID()}`;
    const name = `projects/canary-name-${randomUUID()}/KEY`;

    // Act
    await openStore().put(name, value);

    // Assess
    const files = await allFiles();
    expect(files.size).toBe(2); // the key and one secret, no temp files left behind
    for (const [path, bytes] of files) {
      expect(bytes.includes(Buffer.from(value)), `${path} holds the value`).toBe(false);
      expect(bytes.includes(Buffer.from(value).toString('base64')), `${path} holds it in base64`).toBe(false);
      expect(bytes.includes(Buffer.from(name)), `${path} holds the name`).toBe(false);
      expect(path.includes('canary'), `${path} reveals the name`).toBe(false);
    }
  });

  it('creates a private directory, a 32-byte key and secret files readable by the owner only', async () => {
    // Act
    await openStore().put('k', 'v');

    // Assess
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(keyFile())).mode & 0o777).toBe(0o600);
    expect(await readFile(keyFile())).toHaveLength(32);
    expect((await stat(fileOf('k'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(fileOf('k'), 'utf8'))).toEqual({
      v: 1,
      iv: expect.any(String),
      tag: expect.any(String),
      ciphertext: expect.any(String),
    });
  });
});

describe('EncryptedFileSecretStore fails closed', () => {
  it.each([0o640, 0o604, 0o644, 0o660, 0o606])('refuses a key file with mode %o', async (mode) => {
    // Prepare
    await openStore().put('k', 'v');
    await chmod(keyFile(), mode);

    // Act
    const reading = openStore().get('k');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretKeyFileError);
    await expect(reading).rejects.toThrow(/chmod 600/);
  });

  it.each([0o600, 0o400])('accepts a key file with mode %o', async (mode) => {
    // Prepare
    await openStore().put('k', 'v');
    await chmod(keyFile(), mode);

    // Act
    const value = await openStore().get('k');

    // Assess
    expect(value).toBe('v');
  });

  it('refuses a key file of the wrong length', async () => {
    // Prepare
    await openStore().put('k', 'v');
    await writeFile(keyFile(), randomBytes(16), { mode: 0o600 });

    // Act
    const reading = openStore().get('k');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretKeyFileError);
  });

  type Sealed = { v: number; iv: string; tag: string; ciphertext: string };
  const flipFirstByte = (b64: string) => {
    const bytes = Buffer.from(b64, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0x01;
    return bytes.toString('base64');
  };

  it.each<{ change: string; tamper: (sealed: Sealed) => unknown }>([
    { change: 'a ciphertext bit', tamper: (s) => ({ ...s, ciphertext: flipFirstByte(s.ciphertext) }) },
    { change: 'a tag bit', tamper: (s) => ({ ...s, tag: flipFirstByte(s.tag) }) },
    { change: 'an iv bit', tamper: (s) => ({ ...s, iv: flipFirstByte(s.iv) }) },
    {
      change: 'a truncated tag',
      tamper: (s) => ({ ...s, tag: Buffer.from(s.tag, 'base64').subarray(0, 4).toString('base64') }),
    },
    { change: 'the version', tamper: (s) => ({ ...s, v: 2 }) },
    { change: 'a missing field', tamper: ({ ciphertext: _, ...rest }) => rest },
  ])('detects $change as tampering', async ({ tamper }) => {
    // Prepare
    const store = openStore();
    await store.put('k', 'original value');
    const sealed = JSON.parse(await readFile(fileOf('k'), 'utf8')) as Sealed;
    await writeFile(fileOf('k'), JSON.stringify(tamper(sealed)));

    // Act
    const reading = store.get('k');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretIntegrityError);
  });

  it('detects a file that is not JSON', async () => {
    // Prepare
    const store = openStore();
    await store.put('k', 'v');
    await writeFile(fileOf('k'), 'garbage');

    // Act
    const reading = store.get('k');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretIntegrityError);
  });

  it("refuses a file copied over another name's file (the name is bound as AAD)", async () => {
    // Prepare
    const store = openStore();
    await store.put('projects/attacker/KEY', 'attacker value');
    await store.put('orchestrator/telegram/bot-token', 'real token');
    await copyFile(fileOf('projects/attacker/KEY'), fileOf('orchestrator/telegram/bot-token'));

    // Act
    const reading = store.get('orchestrator/telegram/bot-token');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretIntegrityError);
    await expect(reading).rejects.toThrow(/orchestrator\/telegram\/bot-token/);
  });

  it('refuses secrets sealed under a different key', async () => {
    // Prepare
    await openStore().put('k', 'v');
    await writeFile(keyFile(), randomBytes(32), { mode: 0o600 });

    // Act
    const reading = openStore().get('k');

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SecretIntegrityError);
  });
});
