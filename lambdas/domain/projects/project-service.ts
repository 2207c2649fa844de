import type { Principal } from '../access/access-policy.ts';
import { DomainError, notFound } from '../errors.ts';
import {
  normaliseProjectName,
  type Project,
  type ProjectStatus,
  projectIdFor,
  validateDescription,
  validateSecretKey,
} from './project.ts';
import type { ProjectRepository } from './project-repository.ts';

/**
 * Projects with tenancy enforced here, whatever a model or a prompt asks: users see and act on
 * their own projects only; admins on all. Another user's project is reported as not found, so
 * its existence does not leak either.
 */
/** What deleting a project gives back besides its records; absent parts are skipped. */
export interface ProjectCleanup {
  /** Its port and pool bot (DeploymentResources). */
  resources?: { releaseAll(projectId: string): Promise<void> };
  /** Its secrets (ChatSecretVault), by the keys the project lists. */
  secrets?: { deleteForProject(projectId: string, key: string): Promise<void> };
}

export class ProjectService {
  constructor(
    private readonly repository: ProjectRepository,
    private readonly now: () => Date = () => new Date(),
    private readonly cleanup: ProjectCleanup = {},
  ) {}

  async create(principal: Principal, input: { name: string; description: string }, idempotencyKey: string) {
    const name = normaliseProjectName(input.name);
    const at = this.now().toISOString();
    const id = projectIdFor(name, `${principal.userId}:${idempotencyKey}`);
    // Names are how people refer to projects: one owner cannot have two of the same name.
    const twin = (await this.repository.listByOwner(principal.userId)).find(
      (p) => p.name === name && p.id !== id,
    );
    if (twin) throw new DomainError(`You already have a project named ${name} (id ${twin.id}).`, 'conflict');
    return this.repository.create({
      id,
      ownerId: principal.userId,
      name,
      description: validateDescription(input.description),
      status: 'draft',
      secretKeys: [],
      createdAt: at,
      updatedAt: at,
    });
  }

  async list(principal: Principal, scope: 'mine' | 'all' = 'mine'): Promise<Project[]> {
    return principal.role === 'admin' && scope === 'all'
      ? this.repository.listAll()
      : this.repository.listByOwner(principal.userId);
  }

  /** Resolves an id or a name among the projects the principal may see. */
  async get(principal: Principal, idOrName: string): Promise<Project> {
    const wanted = idOrName.trim();
    const byId = await this.repository.get(wanted);
    if (byId && this.canSee(principal, byId)) return byId;
    const visible = await this.list(principal, 'all');
    const byName = visible.filter((p) => p.name === wanted.toLowerCase());
    if (byName.length === 1 && byName[0]) return byName[0];
    throw notFound(`Project "${wanted}"`);
  }

  async addSecretKey(principal: Principal, idOrName: string, rawKey: string): Promise<Project> {
    const project = await this.get(principal, idOrName);
    const key = validateSecretKey(rawKey);
    if (project.secretKeys.includes(key)) return project;
    const updated = {
      ...project,
      secretKeys: [...project.secretKeys, key].sort(),
      updatedAt: this.now().toISOString(),
    };
    await this.repository.save(updated);
    return updated;
  }

  /**
   * Deletes a project the principal owns (admins: any): its resources go back, its secrets and
   * records are deleted, the record itself last, so a delete cut short can be repeated. The
   * repository the pipeline made is left alone.
   */
  async delete(principal: Principal, idOrName: string): Promise<Project> {
    const project = await this.get(principal, idOrName);
    await this.cleanup.resources?.releaseAll(project.id);
    for (const key of project.secretKeys) await this.cleanup.secrets?.deleteForProject(project.id, key);
    await this.repository.delete(project);
    return project;
  }

  /** Records what a pipeline did to the project (no principal: the caller already checked). */
  async markStatus(
    projectId: string,
    status: ProjectStatus,
    repository?: Project['repository'],
  ): Promise<void> {
    const project = await this.repository.get(projectId);
    if (!project) return;
    await this.repository.save({
      ...project,
      status,
      ...(repository ? { repository } : {}),
      updatedAt: this.now().toISOString(),
    });
  }

  private canSee(principal: Principal, project: Project): boolean {
    return principal.role === 'admin' || project.ownerId === principal.userId;
  }
}
