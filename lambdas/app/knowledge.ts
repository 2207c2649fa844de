import { KeywordIndexes } from '../domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer } from '../domain/knowledge/knowledge-indexer.ts';
import { githubBlobLink, KnowledgeSearch } from '../domain/knowledge/knowledge-search.ts';
import { KnowledgeRetriever } from '../domain/knowledge/retriever.ts';
import type { Project } from '../domain/projects/project.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { EmbeddingModel } from '../ports/embedding-model.ts';
import type { VectorIndex } from '../ports/vector-index.ts';

/**
 * Project knowledge assembled on its three ports, whichever adapters they are: what the Lambdas
 * (runtime/aws-knowledge.ts) and the local stack (knowledge-wiring.ts) both build.
 */
export interface Knowledge {
  embedder: EmbeddingModel;
  indexer: KnowledgeIndexer;
  search: KnowledgeSearch;
}

export interface KnowledgeAdapters {
  embedder: EmbeddingModel;
  vectors: VectorIndex;
  blobs: BlobStore;
}

export type LinkFor = (project: Project, path: string, commit: string) => string | undefined;

/** A file's link at a commit in the project's repository (GitHub's and the local host's shape). */
export const repositoryLink: LinkFor = (project, path, commit) =>
  project.repository ? githubBlobLink(project.repository.htmlUrl, path, commit) : undefined;

/** The indexer and the search over one set of adapters; both composition roots end here. */
export function assembleKnowledge(adapters: KnowledgeAdapters, linkFor: LinkFor = repositoryLink): Knowledge {
  const { embedder, vectors, blobs } = adapters;
  const keywords = new KeywordIndexes(blobs);
  const indexer = new KnowledgeIndexer({ embedder, vectors, keywords });
  const retriever = new KnowledgeRetriever({ embedder, vectors, keywords });
  return { embedder, indexer, search: new KnowledgeSearch(retriever, { linkFor }) };
}
