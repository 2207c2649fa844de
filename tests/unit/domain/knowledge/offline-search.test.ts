import { describe, expect, it, vi } from 'vitest';
import { OfflineModel } from '../../../../lambdas/adapters/llm/offline-model.ts';
import type { Principal } from '../../../../lambdas/domain/access/access-policy.ts';
import { takeSecrets } from '../../../../lambdas/domain/chat-secrets/secret-intake.ts';
import { KeywordIndexes } from '../../../../lambdas/domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer } from '../../../../lambdas/domain/knowledge/knowledge-indexer.ts';
import { KnowledgeSearch } from '../../../../lambdas/domain/knowledge/knowledge-search.ts';
import { KnowledgeRetriever } from '../../../../lambdas/domain/knowledge/retriever.ts';
import type { VectorIndex } from '../../../../lambdas/ports/vector-index.ts';
import { actionsIn, transcriptOf } from '../../../support/agent-transcript.ts';
import { HashingEmbedder, MemoryBlobStore } from '../../../support/knowledge-fakes.ts';
import { agentWorld, intakeIn, productOwnerIn } from '../../../support/product-owner-world.ts';
import { RecordingChat } from '../../../support/recording-chat.ts';

const alice: Principal = { userId: 2002, role: 'user' };
const noVectors: VectorIndex = { put: async () => {}, query: async () => [], delete: async () => {} };

describe('The offline model searching project knowledge through the Product Owner', () => {
  it('turns "search <project> for <question>" into search_knowledge and lists the sources', async () => {
    // Prepare
    const chat = new RecordingChat();
    const world = agentWorld({ chat });
    const embedder = new HashingEmbedder();
    const keywords = new KeywordIndexes(new MemoryBlobStore());
    const knowledge = new KnowledgeSearch(new KnowledgeRetriever({ embedder, vectors: noVectors, keywords }));
    const model = new OfflineModel();
    const owner = productOwnerIn(world, { intent: model, agent: model }, { services: { knowledge } });
    let seq = 0;
    const send = async (text: string) => {
      seq += 1;
      const intaken = await takeSecrets(
        intakeIn(world, { getMe: vi.fn(async () => ({ username: 'x_bot' })) }),
        alice,
        alice.userId,
        seq,
        text,
      );
      if (intaken.kind !== 'handled') await owner.handleMessage(alice, alice.userId, `r${seq}`, intaken);
    };
    await send('create project weather-bot: daily forecasts');
    const [project] = await world.projects.list(alice);
    await new KnowledgeIndexer({ embedder, vectors: noVectors, keywords }).indexFiles(
      { owner: String(alice.userId), project: project?.id ?? '' },
      'abc1234def',
      { 'docs/decisions/0001-storage.md': '# Storage\n\nWe picked SQLite because it is one file.' },
    );

    // Act
    await send('search weather-bot for why did we pick SQLite?');

    // Assess
    expect(actionsIn(await transcriptOf(world.store, alice.userId)).at(-1)).toEqual({
      name: 'search_knowledge',
      input: { project: 'weather-bot', query: 'why did we pick SQLite' },
    });
    expect(chat.texts().at(-1)).toBe(
      [
        'Found 1 source(s) in weather-bot for "why did we pick SQLite":',
        '1. docs/decisions/0001-storage.md @ abc1234 (docs)',
        '   "We picked SQLite because it is one file."',
      ].join('\n'),
    );
  });
});
