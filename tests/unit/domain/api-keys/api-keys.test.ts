import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../../lambdas/domain/access/access-policy.ts';
import { hashApiKey } from '../../../../lambdas/domain/api-keys/api-key.ts';
import { ApiKeys } from '../../../../lambdas/domain/api-keys/api-keys.ts';
import { DomainError } from '../../../../lambdas/domain/errors.ts';
import { ADMIN, ALICE, BOB } from '../../../support/deploy-world.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

function setup() {
  const store = new MemoryStore();
  const admitted = new Map<number, Principal>([ADMIN, ALICE].map((p) => [p.userId, p]));
  const people = { principalOf: async (id: number | undefined) => admitted.get(id ?? 0) ?? null };
  return { store, admitted, keys: new ApiKeys(store, people, () => new Date('2026-12-01T10:00:00Z')) };
}

describe('ApiKeys', () => {
  it('stores only the hash of a key, and the key authenticates as its owner', async () => {
    // Prepare
    const { store, keys } = setup();

    // Act
    const issued = await keys.create(ADMIN, { ownerId: ALICE.userId, name: 'laptop' });
    const auth = await keys.authenticate(issued.secret);

    // Assess
    expect(issued.secret).toMatch(/^oak_[0-9a-f]{10}_[A-Za-z0-9_-]{43}$/);
    const stored = JSON.stringify(await store.query('users', 'APIKEYS'));
    expect(stored).not.toContain(issued.secret);
    expect(stored).not.toContain(issued.secret.slice(15));
    expect(stored).toContain(hashApiKey(issued.secret));
    expect(auth).toEqual({ kind: 'valid', principal: ALICE, key: issued.key });
    expect(JSON.stringify(await keys.list(ADMIN))).not.toContain('hash');
  });

  it.each([
    ['garbage', 'not-a-key'],
    ['an unknown id', 'oak_0123456789_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('refuses %s as unknown', async (_what, secret) => {
    const { keys } = setup();
    expect(await keys.authenticate(secret)).toEqual({ kind: 'unknown' });
  });

  it('refuses a known id with the wrong secret as unknown', async () => {
    const { keys } = setup();
    const issued = await keys.create(ADMIN, { ownerId: ADMIN.userId, name: 'ci' });
    const forged = `${issued.secret.slice(0, 15)}${'A'.repeat(43)}`;
    expect(await keys.authenticate(forged)).toEqual({ kind: 'unknown' });
  });

  it('rotates: the old secret stops working, the new one works, the id stays', async () => {
    const { keys } = setup();
    const issued = await keys.create(ADMIN, { ownerId: ALICE.userId, name: 'laptop' });

    const rotated = await keys.rotate(ADMIN, issued.key.id);

    expect(rotated.key.id).toBe(issued.key.id);
    expect(await keys.authenticate(issued.secret)).toEqual({ kind: 'unknown' });
    expect((await keys.authenticate(rotated.secret)).kind).toBe('valid');
  });

  it('revokes: the key is refused as revoked, and cannot be rotated back to life', async () => {
    const { keys } = setup();
    const issued = await keys.create(ADMIN, { ownerId: ALICE.userId, name: 'laptop' });

    await keys.revoke(ADMIN, issued.key.id);

    expect((await keys.authenticate(issued.secret)).kind).toBe('revoked');
    await expect(keys.rotate(ADMIN, issued.key.id)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses a key whose owner is no longer admitted', async () => {
    const { keys, admitted } = setup();
    const issued = await keys.create(ADMIN, { ownerId: ALICE.userId, name: 'laptop' });
    admitted.delete(ALICE.userId);
    expect((await keys.authenticate(issued.secret)).kind).toBe('owner_gone');
  });

  it.each([
    ['create', (k: ApiKeys, _id: string) => k.create(ALICE, { ownerId: ALICE.userId, name: 'x' })],
    ['rotate', (k: ApiKeys, id: string) => k.rotate(ALICE, id)],
    ['revoke', (k: ApiKeys, id: string) => k.revoke(ALICE, id)],
  ])('lets only admins %s keys', async (_name, act) => {
    const { keys } = setup();
    const issued = await keys.create(ADMIN, { ownerId: ALICE.userId, name: 'laptop' });
    await expect(act(keys, issued.key.id)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await keys.authenticate(issued.secret)).kind).toBe('valid');
  });

  it('lists a user their own keys only, an admin all', async () => {
    const { keys } = setup();
    await keys.create(ADMIN, { ownerId: ALICE.userId, name: 'alice' });
    await keys.create(ADMIN, { ownerId: ADMIN.userId, name: 'admin' });

    expect((await keys.list(ALICE)).map((k) => k.name)).toEqual(['alice']);
    expect((await keys.list(ADMIN)).map((k) => k.name).sort()).toEqual(['admin', 'alice']);
  });

  it('gives no key to someone who is not admitted', async () => {
    const { keys } = setup();
    await expect(keys.create(ADMIN, { ownerId: BOB.userId, name: 'bob' })).rejects.toBeInstanceOf(
      DomainError,
    );
  });
});
