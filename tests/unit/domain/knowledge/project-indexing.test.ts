import { describe, expect, it } from 'vitest';
import { KeywordIndexes } from '../../../../lambdas/domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer } from '../../../../lambdas/domain/knowledge/knowledge-indexer.ts';
import { ProjectIndexing } from '../../../../lambdas/domain/knowledge/project-indexing.ts';
import { PipelineDocuments } from '../../../../lambdas/domain/pipelines/documents.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import { indexKnowledgeStep } from '../../../../lambdas/domain/pipelines/steps/index-knowledge.ts';
import type { Project } from '../../../../lambdas/domain/projects/project.ts';
import type { GitHost } from '../../../../lambdas/ports/git-host.ts';
import type { VectorIndex, VectorRecord } from '../../../../lambdas/ports/vector-index.ts';
import { HashingEmbedder, MemoryBlobStore } from '../../../support/knowledge-fakes.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const project: Project = {
  id: 'weather-bot-a1b2c3',
  ownerId: 2002,
  name: 'weather-bot',
  description: 'daily forecasts',
  status: 'ready',
  secretKeys: [],
  createdAt: '2026-12-01T00:00:00Z',
  updatedAt: '2026-12-01T00:00:00Z',
};

/** A repository as commits of whole file sets, read the way the GitHost port reads one. */
function repository(commits: Record<string, Record<string, string>>): Pick<
  GitHost,
  'listFiles' | 'readFile'
> & {
  reads: string[];
} {
  const reads: string[] = [];
  return {
    reads,
    async listFiles(_name, commit) {
      const files = commits[commit];
      return files
        ? Object.entries(files).map(([path, text]) => ({ path, size: Buffer.byteLength(text) }))
        : undefined;
    },
    async readFile(_name, path, ref) {
      reads.push(path);
      return commits[ref]?.[path];
    },
  };
}

/** Vectors in a Map, keyed as the port keys them. */
function memoryVectors(): VectorIndex & { records: Map<string, VectorRecord> } {
  const records = new Map<string, VectorRecord>();
  return {
    records,
    async put(_project, _embedder, put) {
      for (const r of put) records.set(r.key, r);
    },
    async query() {
      return [];
    },
    async delete(_project, keys) {
      for (const key of keys) records.delete(key);
    },
  };
}

function world(commits: Record<string, Record<string, string>>) {
  const store = new MemoryStore();
  const embedder = new HashingEmbedder();
  const vectors = memoryVectors();
  const keywords = new KeywordIndexes(new MemoryBlobStore());
  const git = repository(commits);
  const runs = new RunRecords(store);
  const documents = new PipelineDocuments(store);
  const indexing = new ProjectIndexing({
    gitHost: git,
    indexer: new KnowledgeIndexer({ embedder, vectors, keywords }),
    runs,
    documents,
    store,
  });
  return { store, embedder, vectors, keywords, git, runs, documents, indexing };
}

const FIRST = {
  'README.md':
    '# Weather bot\n\nSends a daily forecast.\n\n## Storage\n\nWe picked SQLite: one file, no server.',
  'src/forecast.mjs': 'export function forecastCommand(city) {\n  return "Forecast for " + city;\n}\n',
  'src/old.mjs': 'export const legacy = true;\n',
  '.env': 'TELEGRAM_TOKEN=123456:secret',
  'package-lock.json': '{}',
};

describe('ProjectIndexing', () => {
  it("indexes a commit's docs and code with the project's owner, and never reads secrets files or locks", async () => {
    // Prepare
    const w = world({ c1: FIRST });

    // Act
    const report = await w.indexing.indexCommit(project, 'c1');

    // Assess
    expect(w.git.reads.sort()).toEqual(['README.md', 'src/forecast.mjs', 'src/old.mjs']);
    const indexed = [...w.vectors.records.values()].map((r) => r.metadata);
    expect(new Set(indexed.map((m) => m.path))).toEqual(
      new Set(['README.md', 'src/forecast.mjs', 'src/old.mjs']),
    );
    expect(indexed.every((m) => m.owner === '2002' && m.project === project.id && m.commit === 'c1')).toBe(
      true,
    );
    expect(report.files.embedded).toBe(indexed.length);
  });

  it('embeds only what changed at the next commit and deletes what was removed', async () => {
    // Prepare
    const { 'src/old.mjs': _removed, ...kept } = FIRST;
    const second = { ...kept, 'src/forecast.mjs': 'export function forecastCommand(city, days) {}\n' };
    const w = world({ c1: FIRST, c2: second });
    await w.indexing.indexCommit(project, 'c1');
    w.embedder.embedded = [];

    // Act
    const report = await w.indexing.indexCommit(project, 'c2');

    // Assess: one changed file embedded again, the README kept, the removed file gone
    expect(w.embedder.embedded).toEqual([second['src/forecast.mjs'].trim()]);
    expect(report.files).toMatchObject({ embedded: 1, deleted: 2 });
    const paths = [...w.vectors.records.values()].map((r) => r.metadata.path);
    expect(paths).not.toContain('src/old.mjs');
    expect(paths.filter((p) => p === 'src/forecast.mjs')).toHaveLength(1);
  });

  it('indexes the developer summaries of the runs as history, with their commits, and no test report', async () => {
    // Prepare
    const w = world({ c1: FIRST });
    const summaryRef = await w.documents.put(
      project.id,
      'summary',
      'build-1',
      1,
      'Added the /forecast command.',
    );
    const reportRef = await w.documents.put(
      project.id,
      'report',
      'build-1',
      1,
      'npm test exited 0: 12 passing',
    );
    await w.runs.putAttempt(project.id, 'build-1', {
      attempt: 1,
      passed: true,
      commit: 'c1',
      summaryRef,
      reportRef,
      at: '2026-12-01T00:00:00Z',
    });

    // Act
    const report = await w.indexing.indexCommit(project, 'c1');

    // Assess
    const history = [...w.vectors.records.values()].filter((r) => r.metadata.scope === 'history');
    expect(report.history.embedded).toBe(1);
    expect(history.map((r) => [r.metadata.path, r.metadata.commit])).toEqual([[summaryRef, 'c1']]);
    expect(history[0]?.metadata.text).toContain('Added the /forecast command.');
    expect(history[0]?.metadata.text).toContain('Run build-1, attempt 1 (tests passed)');
    expect(JSON.stringify([...w.vectors.records.values()])).not.toContain('12 passing');
  });

  it('remembers the commit it indexed, so a refresh at the same commit does nothing', async () => {
    // Prepare
    const w = world({ c1: FIRST, c2: { ...FIRST, 'docs/new.md': '# New\n\nA new page.' } });
    await w.indexing.indexCommit(project, 'c1');

    // Act
    const same = await w.indexing.refresh(project, 'c1');
    const next = await w.indexing.refresh(project, 'c2');

    // Assess
    expect(same).toBeUndefined();
    expect(next?.files.embedded).toBe(1);
    expect(await w.indexing.indexedCommit(project.id)).toBe('c2');
  });

  it('rebuilds a dropped index at the same commit, every chunk embedded again', async () => {
    // Prepare
    const w = world({ c1: FIRST });
    const first = await w.indexing.indexCommit(project, 'c1');
    const indexer = new KnowledgeIndexer({ embedder: w.embedder, vectors: w.vectors, keywords: w.keywords });

    // Act
    const dropped = await indexer.drop(project.id);
    const emptied = w.vectors.records.size;
    const rebuilt = await w.indexing.refresh(project, 'c1');

    // Assess
    expect(dropped.deleted).toBe(first.files.embedded);
    expect(emptied).toBe(0);
    expect(rebuilt?.files.embedded).toBe(first.files.embedded);
    expect(w.vectors.records.size).toBe(first.files.embedded);
  });

  it('indexes conversation summaries as history, also at an unchanged head', async () => {
    // Prepare
    const w = world({ c1: FIRST });
    await w.indexing.indexCommit(project, 'c1');
    const ref = await w.documents.put(
      project.id,
      'conversation',
      'a1b2c3',
      0,
      'The owner chose SQLite over Postgres.',
    );

    // Act
    const files = await w.indexing.refresh(project, 'c1');

    // Assess: the files were current; the summary is now history, without its commit
    expect(files).toBeUndefined();
    const history = [...w.vectors.records.values()].filter((r) => r.metadata.scope === 'history');
    expect(history.map((r) => r.metadata.path)).toEqual([ref]);
    expect(history[0]?.metadata.text).toContain('The owner chose SQLite over Postgres.');
  });

  it('refuses a commit the repository does not have', async () => {
    // Prepare
    const w = world({ c1: FIRST });

    // Act
    const indexing = w.indexing.indexCommit(project, 'nope');

    // Assess
    await expect(indexing).rejects.toThrow(/not in the repository/);
  });
});

describe('indexKnowledgeStep', () => {
  it('says knowledge is not configured and touches nothing when there is no index', async () => {
    // Act
    const result = await indexKnowledgeStep(
      { projects: { get: async () => project } },
      { run: { name: 'build-1', projectId: project.id, ownerId: 2002, chatId: 2002 }, commit: 'c1' },
    );

    // Assess
    expect(result).toEqual({ indexed: false, reason: 'project knowledge is not configured' });
  });

  it("indexes the run's commit for the project's owner as the store has it", async () => {
    // Prepare
    const w = world({ c1: FIRST });

    // Act: the payload's owner is not what decides whose the chunks are
    const result = await indexKnowledgeStep(
      { indexing: w.indexing, projects: { get: async () => project } },
      { run: { name: 'build-1', projectId: project.id, ownerId: 9999, chatId: 9999 }, commit: 'c1' },
    );

    // Assess
    expect(result).toMatchObject({ indexed: true, commit: 'c1', deleted: 0 });
    expect([...w.vectors.records.values()].every((r) => r.metadata.owner === '2002')).toBe(true);
  });
});
