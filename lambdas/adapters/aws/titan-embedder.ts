import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { EmbeddingModel } from '../../ports/embedding-model.ts';

export const TITAN_EMBED_V2 = 'amazon.titan-embed-text-v2:0';
// Titan Text Embeddings V2 takes up to 8,192 tokens or 50,000 characters of input.
const MAX_INPUT_CHARS = 50_000;
const PARALLEL_CALLS = 4;

export interface TitanEmbedderOptions {
  /** 256, 512 (default: as the local model) or 1024. */
  dimension?: 256 | 512 | 1024;
  client?: BedrockRuntimeClient;
  region?: string;
}

/**
 * Bedrock Titan Text Embeddings V2: one InvokeModel per text, body `{inputText, dimensions,
 * normalize: true}`, answer `{embedding, inputTextTokenCount}`. A few calls run at once.
 */
export class TitanEmbedder implements EmbeddingModel {
  readonly id: string;
  readonly dimension: number;
  private readonly client: BedrockRuntimeClient;

  constructor(options: TitanEmbedderOptions = {}) {
    this.dimension = options.dimension ?? 512;
    this.id = `${TITAN_EMBED_V2}@${this.dimension}`;
    this.client =
      options.client ?? new BedrockRuntimeClient(options.region ? { region: options.region } : {});
  }

  async embed(texts: string[]): Promise<number[][]> {
    const vectors: number[][] = new Array(texts.length);
    let next = 0;
    const worker = async () => {
      while (next < texts.length) {
        const i = next++;
        vectors[i] = await this.embedOne(texts[i] ?? '');
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_CALLS, texts.length) }, worker));
    return vectors;
  }

  private async embedOne(text: string): Promise<number[]> {
    const response = await this.client.send(
      new InvokeModelCommand({
        modelId: TITAN_EMBED_V2,
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({
          inputText: text.slice(0, MAX_INPUT_CHARS),
          dimensions: this.dimension,
          normalize: true,
        }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(response.body)) as { embedding?: unknown };
    const embedding = body.embedding;
    if (
      !Array.isArray(embedding) ||
      embedding.length !== this.dimension ||
      !embedding.every((x) => typeof x === 'number')
    )
      throw new Error(`Titan answered no ${this.dimension}-dimension embedding`);
    return embedding as number[];
  }
}
