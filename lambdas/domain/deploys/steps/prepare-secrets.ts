import type { PipelineDocuments } from '../../pipelines/documents.ts';
import type { RunRef } from '../../pipelines/steps/run-ref.ts';
import { BOT_TOKEN_VARIABLE } from '../env-analysis.ts';
import type { ProjectSecrets } from '../project-secrets.ts';
import { readAnalysis } from './analyse-env.ts';

export interface PreparedSecrets {
  /** How many secrets only the person can give are still missing. */
  missingCount: number;
  /** The one to ask for next (a name, never a value); null when none is missing. */
  next: string | null;
  generated: number;
}

/**
 * Secrets: generates the infrastructure secrets the project lacks, then names the first secret
 * only the person can give that is still missing. A bot token the person did not give is not
 * missing while the pool has a bot for the project (the resources step allocates it).
 */
export async function prepareSecretsStep(
  deps: {
    documents: PipelineDocuments;
    secrets: ProjectSecrets;
    botPool: { canProvide(projectId: string): Promise<boolean> };
  },
  input: { run: RunRef; analysisRef: string },
): Promise<PreparedSecrets> {
  const { projectId } = input.run;
  const analysis = await readAnalysis(deps.documents, projectId, input.analysisRef);
  let generated = 0;
  const missing: string[] = [];
  for (const variable of analysis.variables) {
    if (variable.class === 'generate' && (await deps.secrets.generate(projectId, variable.name))) generated++;
    if (variable.class !== 'ask' || (await deps.secrets.has(projectId, variable.name))) continue;
    if (variable.name === BOT_TOKEN_VARIABLE && (await deps.botPool.canProvide(projectId))) continue;
    missing.push(variable.name);
  }
  return { missingCount: missing.length, next: missing[0] ?? null, generated };
}
