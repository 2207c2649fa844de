import type { KeyValueStore } from '../../ports/key-value-store.ts';
import { notFound } from '../errors.ts';

export type DocumentKind = 'request' | 'spec' | 'report' | 'summary' | 'env' | 'log' | 'conversation';

/**
 * The documents a run produces (the request, the spec, test reports, what was built, the log tail
 * of a release that failed its checks), kept with
 * the project so payloads carry a reference (`doc:<kind>:<run>:<n>`) instead of the text.
 */
export class PipelineDocuments {
  constructor(private readonly store: KeyValueStore) {}

  async put(
    projectId: string,
    kind: DocumentKind,
    runName: string,
    n: number,
    text: string,
  ): Promise<string> {
    const ref = `doc:${kind}:${runName}:${n}`;
    // Kept well under DynamoDB's 400 KB item limit: a document longer than this is cut.
    await this.store.put('projects', { pk: `PROJECT#${projectId}`, sk: ref, text: text.slice(0, 200_000) });
    return ref;
  }

  /** The project's documents of one kind, with their references. */
  async list(projectId: string, kind: DocumentKind): Promise<Array<{ ref: string; text: string }>> {
    const docs: Array<{ ref: string; text: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query('projects', `PROJECT#${projectId}`, {
        skBeginsWith: `doc:${kind}:`,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items)
        if (typeof item.text === 'string') docs.push({ ref: item.sk, text: item.text });
      cursor = page.cursor;
    } while (cursor);
    return docs;
  }

  async get(projectId: string, ref: string): Promise<string> {
    if (!/^doc:(request|spec|report|summary|env|log|conversation):[A-Za-z0-9_-]{1,80}:\d{1,3}$/.test(ref))
      throw notFound(`Document ${ref}`);
    const item = await this.store.get('projects', { pk: `PROJECT#${projectId}`, sk: ref });
    if (typeof item?.text !== 'string') throw notFound(`Document ${ref}`);
    return item.text;
  }
}
