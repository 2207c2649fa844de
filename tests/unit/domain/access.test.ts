import { describe, expect, it, vi } from 'vitest';
import { AccessControl } from '../../../lambdas/domain/access/access-control.ts';
import { resolveRole, servesChat } from '../../../lambdas/domain/access/access-policy.ts';
import { UserDirectory } from '../../../lambdas/domain/access/user-directory.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const ADMIN = 1001;
const USER = 2002;
const STRANGER = 3003;

describe('resolveRole', () => {
  const admins = new Set([ADMIN]);

  it.each([
    { userId: ADMIN, admitted: false, expected: 'admin' },
    { userId: ADMIN, admitted: true, expected: 'admin' },
    { userId: USER, admitted: true, expected: 'user' },
    { userId: STRANGER, admitted: false, expected: null },
    { userId: 0, admitted: true, expected: null },
    { userId: -USER, admitted: true, expected: null },
    { userId: 1.5, admitted: true, expected: null },
    { userId: Number.NaN, admitted: true, expected: null },
    { userId: 2 ** 53, admitted: true, expected: null },
  ])('gives $userId (admitted: $admitted) the role $expected', ({ userId, admitted, expected }) => {
    // Act
    const role = resolveRole(userId, admins, admitted);

    // Assess
    expect(role).toBe(expected);
  });

  it('admits nobody as admin when the admin list is empty', () => {
    // Act
    const roles = [ADMIN, USER, STRANGER].map((id) => resolveRole(id, new Set(), false));

    // Assess
    expect(roles).toEqual([null, null, null]);
  });

  it('does not take a non-positive id for an admin even if configured', () => {
    // Act
    const role = resolveRole(0, new Set([0]), false);

    // Assess
    expect(role).toBeNull();
  });
});

describe('servesChat', () => {
  it.each([
    { chatType: 'private', served: true },
    { chatType: 'group', served: false },
    { chatType: 'supergroup', served: false },
    { chatType: 'channel', served: false },
    { chatType: 'Private', served: false },
    { chatType: undefined, served: false },
  ])('serves a $chatType chat: $served', ({ chatType, served }) => {
    // Act
    const result = servesChat(chatType);

    // Assess
    expect(result).toBe(served);
  });
});

describe('AccessControl', () => {
  const setUp = (adminIds: number[] = [ADMIN]) => {
    const store = new MemoryStore();
    const directory = new UserDirectory(store);
    const access = new AccessControl(new Set(adminIds), directory);
    const storeGet = vi.spyOn(store, 'get');
    return { store, directory, access, storeGet };
  };
  const admit = (directory: UserDirectory, userId: number) =>
    directory.admit({ userId, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z' });

  it('knows a configured admin without reading the store', async () => {
    // Prepare
    const { access, storeGet } = setUp();

    // Act
    const principal = await access.principalOf(ADMIN);

    // Assess
    expect(principal).toEqual({ userId: ADMIN, role: 'admin' });
    expect(storeGet).not.toHaveBeenCalled();
  });

  it('makes an admitted user a user, reading the users table once', async () => {
    // Prepare
    const { access, directory, storeGet } = setUp();
    await admit(directory, USER);

    // Act
    const principal = await access.principalOf(USER);

    // Assess
    expect(principal).toEqual({ userId: USER, role: 'user' });
    expect(storeGet).toHaveBeenCalledTimes(1);
    expect(storeGet).toHaveBeenCalledWith('users', { pk: 'USERS', sk: String(USER) });
  });

  it('refuses a stranger', async () => {
    // Prepare
    const { access } = setUp();

    // Act
    const principal = await access.principalOf(STRANGER);

    // Assess
    expect(principal).toBeNull();
  });

  it.each([undefined, 0, -ADMIN, 1.5])(
    'refuses the sender id %s without reading the store',
    async (userId) => {
      // Prepare
      const { access, storeGet } = setUp();

      // Act
      const principal = await access.principalOf(userId);

      // Assess
      expect(principal).toBeNull();
      expect(storeGet).not.toHaveBeenCalled();
    },
  );

  it('admits nobody when the admin list is empty and nobody was admitted', async () => {
    // Prepare
    const { access } = setUp([]);

    // Act
    const principals = await Promise.all([ADMIN, USER, STRANGER].map((id) => access.principalOf(id)));

    // Assess
    expect(principals).toEqual([null, null, null]);
  });

  it('takes access away from a user once removed', async () => {
    // Prepare
    const { access, directory } = setUp();
    await admit(directory, USER);
    expect(await access.principalOf(USER)).not.toBeNull();

    // Act
    const removed = await directory.remove(USER);

    // Assess
    expect(removed).toBe(true);
    expect(await access.principalOf(USER)).toBeNull();
  });

  it('tells configured admins from admitted users', async () => {
    // Prepare
    const { access, directory } = setUp();
    await admit(directory, USER);

    // Act
    const flags = [ADMIN, USER, STRANGER].map((id) => access.isConfiguredAdmin(id));

    // Assess
    expect(flags).toEqual([true, false, false]);
  });
});

describe('UserDirectory', () => {
  it('lists admitted users by id across pages, with their optional names', async () => {
    // Prepare
    const store = new MemoryStore();
    const directory = new UserDirectory(store);
    const realQuery = store.query.bind(store);
    const query = vi.spyOn(store, 'query');
    // Pages of one item force the directory to follow cursors.
    query.mockImplementation((table, pk, options) => realQuery(table, pk, { ...options, limit: 1 }));
    for (const userId of [30, 4, 200]) {
      await directory.admit({
        userId,
        admittedBy: ADMIN,
        admittedAt: '2026-01-01T00:00:00.000Z',
        ...(userId === 4 ? { displayName: 'Four' } : {}),
      });
    }

    // Act
    const users = await directory.list();

    // Assess
    expect(users).toEqual([
      { userId: 4, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z', displayName: 'Four' },
      { userId: 30, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z' },
      { userId: 200, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z' },
    ]);
    expect(query.mock.calls.length).toBeGreaterThanOrEqual(3);
  });

  it('reports whether a removed user had been admitted', async () => {
    // Prepare
    const directory = new UserDirectory(new MemoryStore());
    await directory.admit({ userId: USER, admittedBy: ADMIN, admittedAt: '2026-01-01T00:00:00.000Z' });

    // Act
    const results = [await directory.remove(USER), await directory.remove(USER)];

    // Assess
    expect(results).toEqual([true, false]);
  });
});
