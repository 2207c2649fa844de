/**
 * Embedding model port: turns texts into vectors of one fixed dimension. `id` names the model and
 * its settings (vectors of two embedders are not comparable, even at the same dimension), so a
 * vector index records the embedder it was built with and refuses queries from another one.
 */
export interface EmbedderIdentity {
  readonly id: string;
  readonly dimension: number;
}

export interface EmbeddingModel extends EmbedderIdentity {
  /** One vector per text, in order, each of `dimension` numbers, unit length. */
  embed(texts: string[]): Promise<number[][]>;
}
