import { describe, expect, it } from 'vitest';
import { ProjectRepository } from '../../../lambdas/domain/projects/project-repository.ts';
import { ProjectService } from '../../../lambdas/domain/projects/project-service.ts';
import { ADMIN, ALICE, BOB } from '../../support/deploy-world.ts';
import { MemoryStore } from '../../support/memory-store.ts';

describe('ProjectService.delete', () => {
  it('lets the owner or an admin delete, and calls another user’s project not found', async () => {
    // Prepare
    const store = new MemoryStore();
    const projects = new ProjectService(new ProjectRepository(store));
    const first = await projects.create(ALICE, { name: 'shop-bot', description: 'a shop' }, 'k1');
    await projects.create(ALICE, { name: 'quiz-bot', description: 'a quiz' }, 'k2');

    // Act
    const bobs = projects.delete(BOB, first.id);
    await expect(bobs).rejects.toMatchObject({ code: 'not_found' });
    await projects.delete(ALICE, 'shop-bot');
    await projects.delete(ADMIN, 'quiz-bot');

    // Assess
    expect(await projects.list(ALICE)).toEqual([]);
    expect(await projects.list(ADMIN, 'all')).toEqual([]);
    expect(store.size()).toBe(0);
  });

  it('is completed by repeating it when it was cut short', async () => {
    // Prepare: deleting the secrets fails once, as a crash would stop it there
    const store = new MemoryStore();
    const deleted: string[] = [];
    let failures = 1;
    const secrets = {
      async deleteForProject(projectId: string, key: string) {
        if (failures-- > 0) throw new Error('secrets port down');
        deleted.push(`${projectId}/${key}`);
      },
    };
    const projects = new ProjectService(new ProjectRepository(store), undefined, { secrets });
    const project = await projects.create(ALICE, { name: 'shop-bot', description: 'a shop' }, 'k1');
    await projects.addSecretKey(ALICE, project.id, 'API_KEY');

    // Act
    await expect(projects.delete(ALICE, project.id)).rejects.toThrow('secrets port down');
    const stillThere = await projects.list(ALICE);
    await projects.delete(ALICE, project.id);

    // Assess
    expect(stillThere.map((p) => p.id)).toEqual([project.id]);
    expect(deleted).toEqual([`${project.id}/API_KEY`]);
    expect(await projects.list(ALICE)).toEqual([]);
  });
});
