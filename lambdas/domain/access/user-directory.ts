import type { Item, KeyValueStore } from '../../ports/key-value-store.ts';

export interface AdmittedUser {
  userId: number;
  admittedBy: number;
  admittedAt: string;
  displayName?: string;
}

// All admitted users share one partition so an admin can list them with a single Query; the
// directory holds people an admin typed in by hand, so it stays far below a partition's limits.
const PARTITION = 'USERS';

/** The users an admin has admitted, kept in the `users` table. */
export class UserDirectory {
  constructor(private readonly store: KeyValueStore) {}

  async find(userId: number): Promise<AdmittedUser | undefined> {
    const item = await this.store.get('users', { pk: PARTITION, sk: String(userId) });
    return item ? toUser(item) : undefined;
  }

  async admit(user: AdmittedUser): Promise<void> {
    await this.store.put('users', { pk: PARTITION, sk: String(user.userId), ...user });
  }

  /** @returns whether the user had been admitted. */
  async remove(userId: number): Promise<boolean> {
    const existing = await this.find(userId);
    if (!existing) return false;
    await this.store.delete('users', { pk: PARTITION, sk: String(userId) });
    return true;
  }

  async list(): Promise<AdmittedUser[]> {
    const users: AdmittedUser[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query('users', PARTITION, cursor ? { cursor } : {});
      users.push(...page.items.map(toUser));
      cursor = page.cursor;
    } while (cursor);
    return users.sort((a, b) => a.userId - b.userId);
  }
}

function toUser(item: Item): AdmittedUser {
  return {
    userId: Number(item.userId),
    admittedBy: Number(item.admittedBy),
    admittedAt: String(item.admittedAt),
    ...(typeof item.displayName === 'string' ? { displayName: item.displayName } : {}),
  };
}
