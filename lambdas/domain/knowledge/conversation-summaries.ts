import { createHash } from 'node:crypto';
import type { Principal } from '../access/access-policy.ts';
import type { PipelineDocuments } from '../pipelines/documents.ts';
import type { ProjectRepository } from '../projects/project-repository.ts';

/**
 * The Product Owner's conversation summaries, kept with the project the conversation was about
 * (its focus) as `doc:conversation:<thread hash>:0`, so the project's knowledge indexes them as
 * history. Each new summary of a conversation folds in the one before, so one document per
 * conversation and project is replaced each time. Only the owner's own conversations are kept:
 * what an admin says about someone else's project does not go into that project's knowledge.
 */
export class ConversationSummaries {
  constructor(
    private readonly deps: {
      projects: Pick<ProjectRepository, 'get'>;
      documents: Pick<PipelineDocuments, 'put'>;
    },
  ) {}

  async keep(principal: Principal, projectId: string, threadId: string, summary: string): Promise<boolean> {
    if (!summary.trim()) return false;
    const project = await this.deps.projects.get(projectId);
    if (!project || project.ownerId !== principal.userId) return false;
    const thread = createHash('sha256').update(threadId).digest('hex').slice(0, 32);
    await this.deps.documents.put(projectId, 'conversation', thread, 0, summary);
    return true;
  }
}
