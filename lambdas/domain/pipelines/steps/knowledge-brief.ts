import type { KnowledgeSearch } from '../../knowledge/knowledge-search.ts';
import { quotePassages } from '../../knowledge/knowledge-search.ts';
import type { Project } from '../../projects/project.ts';

/** How many passages a pipeline agent starts from: a few, so the prompt stays small. */
export const BRIEF_PASSAGES = 3;

/**
 * What the project's own knowledge says about a run's request, for the agent that starts the run's
 * work (the analyst on a change, the developer on a change or fix): the top passages of the same
 * search the Product Owner's search_knowledge uses, quoted as untrusted data. Nothing when no
 * knowledge is configured, nothing matches, or the search fails: an agent never waits on it.
 */
export async function knowledgeBrief(
  search: Pick<KnowledgeSearch, 'search'> | undefined,
  project: Project,
  request: string,
  onError?: (error: unknown) => void,
): Promise<string | undefined> {
  if (!search || request.trim().length < 2) return undefined;
  const query = request.trim().slice(0, 500);
  try {
    const passages = (await search.search(project, query)).slice(0, BRIEF_PASSAGES);
    return passages.length > 0 ? quotePassages(project.name, query, passages) : undefined;
  } catch (error) {
    onError?.(error);
    return undefined;
  }
}

/** The request a run was started with: stored by EngineeringService.start under this reference. */
export const requestRefOf = (runName: string) => `doc:request:${runName}:0`;
