import { ConditionFailedError, type Item, type KeyValueStore } from '../../ports/key-value-store.ts';
import type { Project } from './project.ts';

/**
 * Projects in the `projects` table: the project item itself, plus reference items so an owner's
 * projects and (for admins) all projects can be listed with one Query each. Writes are single-item
 * and idempotent, so a create interrupted halfway completes when it is repeated.
 */
export class ProjectRepository {
  constructor(private readonly store: KeyValueStore) {}

  async get(projectId: string): Promise<Project | undefined> {
    const item = await this.store.get('projects', { pk: `PROJECT#${projectId}`, sk: 'META' });
    return item ? toProject(item) : undefined;
  }

  /** Creates the project if its id is new; returns the stored project either way. */
  async create(project: Project): Promise<Project> {
    try {
      await this.store.put(
        'projects',
        { pk: `PROJECT#${project.id}`, sk: 'META', ...project },
        { ifAbsent: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    const stored = (await this.get(project.id)) ?? project;
    const ref = { projectId: stored.id, ownerId: stored.ownerId, name: stored.name };
    await this.store.put('projects', { pk: `OWNER#${stored.ownerId}`, sk: `PROJECT#${stored.id}`, ...ref });
    await this.store.put('projects', { pk: 'ALL', sk: `PROJECT#${stored.id}`, ...ref });
    return stored;
  }

  async save(project: Project): Promise<void> {
    await this.store.put('projects', { pk: `PROJECT#${project.id}`, sk: 'META', ...project });
  }

  /**
   * Forgets the project: every item of its partition (runs, documents, what it holds), its
   * listing references, and its META item last, so a delete cut short can simply be repeated.
   */
  async delete(project: Pick<Project, 'id' | 'ownerId'>): Promise<void> {
    const pk = `PROJECT#${project.id}`;
    let cursor: string | undefined;
    const keys: string[] = [];
    do {
      const page = await this.store.query('projects', pk, cursor ? { cursor } : {});
      keys.push(...page.items.map((i) => i.sk).filter((sk) => sk !== 'META'));
      cursor = page.cursor;
    } while (cursor);
    for (const sk of keys) await this.store.delete('projects', { pk, sk });
    await this.store.delete('projects', { pk: `OWNER#${project.ownerId}`, sk: pk });
    await this.store.delete('projects', { pk: 'ALL', sk: pk });
    await this.store.delete('projects', { pk, sk: 'META' });
  }

  async listByOwner(ownerId: number): Promise<Project[]> {
    return this.listRefs(`OWNER#${ownerId}`);
  }

  async listAll(): Promise<Project[]> {
    return this.listRefs('ALL');
  }

  private async listRefs(pk: string): Promise<Project[]> {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query('projects', pk, {
        skBeginsWith: 'PROJECT#',
        ...(cursor ? { cursor } : {}),
      });
      ids.push(...page.items.map((i) => String(i.projectId)));
      cursor = page.cursor;
    } while (cursor);
    const projects = await Promise.all(ids.map((id) => this.get(id)));
    return projects
      .filter((p): p is Project => p !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}

function toProject(item: Item): Project {
  return {
    id: String(item.id),
    ownerId: Number(item.ownerId),
    name: String(item.name),
    description: String(item.description),
    status: item.status as Project['status'],
    secretKeys: Array.isArray(item.secretKeys) ? item.secretKeys.map(String) : [],
    ...(isRepository(item.repository) ? { repository: item.repository } : {}),
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
  };
}

function isRepository(value: unknown): value is NonNullable<Project['repository']> {
  const r = value as { fullName?: unknown; htmlUrl?: unknown } | undefined;
  return typeof r?.fullName === 'string' && typeof r.htmlUrl === 'string';
}
