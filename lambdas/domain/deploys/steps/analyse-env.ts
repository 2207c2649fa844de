import type { GitHost } from '../../../ports/git-host.ts';
import type { LanguageModel } from '../../../ports/language-model.ts';
import { invalid } from '../../errors.ts';
import type { PipelineDocuments } from '../../pipelines/documents.ts';
import type { RunRecords } from '../../pipelines/run-records.ts';
import type { RunRef } from '../../pipelines/steps/run-ref.ts';
import type { ProjectRepository } from '../../projects/project-repository.ts';
import type { UsageLedger } from '../../usage/usage-ledger.ts';
import {
  CLASSIFY_TOOL,
  type EnvAnalysis,
  parseAdvice,
  parseEnvContract,
  reconcile,
} from '../env-analysis.ts';

export const ENV_PROMPT = [
  'You prepare the deploy of a service. For each variable of its env contract, say what the deploy',
  'needs: "generate" for a secret only our side uses (session or signing keys, passwords of services',
  'we run ourselves), "ask" for a secret a third party issues that only the owner can give (API keys,',
  'tokens), "config" for plain configuration. Answer with the classify_env tool only.',
].join('\n');

export interface AnalysedEnv {
  analysisRef: string;
  repository: string;
  projectName: string;
  commit: string;
  needsBotToken: boolean;
}

/**
 * Env analysis: the contract at the commit being deployed, classified (the model advises within
 * the rules of env-analysis.ts) and stored; the run carries the reference. The contract is read
 * at the commit itself, so what is deployed and what is asked for cannot drift apart.
 */
export async function analyseEnvStep(
  deps: {
    gitHost: GitHost;
    projects: ProjectRepository;
    model: LanguageModel;
    documents: PipelineDocuments;
    usage: UsageLedger;
    deploys: RunRecords;
  },
  input: { run: RunRef; commit: string },
): Promise<AnalysedEnv> {
  const project = await deps.projects.get(input.run.projectId);
  if (!project?.repository) throw invalid(`Project ${input.run.projectId} has no repository: build it first`);
  const name = project.repository.fullName.split('/')[1] ?? project.id;
  const text = await deps.gitHost.readFile(name, 'env.contract.json', input.commit);
  if (text === undefined) throw invalid(`Commit ${input.commit.slice(0, 12)} has no env.contract.json`);
  const contract = parseEnvContract(text);
  let analysis: EnvAnalysis = reconcile(contract, new Map());
  if (contract.some((v) => v.kind === 'secret')) {
    const response = await deps.model.complete({
      purpose: 'env_classification',
      system: ENV_PROMPT,
      messages: [{ role: 'user', content: [{ type: 'text', text: JSON.stringify({ contract }) }] }],
      tools: [
        { ...CLASSIFY_TOOL, inputSchema: CLASSIFY_TOOL.inputSchema as unknown as Record<string, unknown> },
      ],
      toolChoice: { tool: CLASSIFY_TOOL.name },
      maxTokens: 1000,
    });
    await deps.usage.record({
      userId: input.run.ownerId,
      projectId: input.run.projectId,
      modelId: response.modelId,
      usage: response.usage,
    });
    const call = response.content.find((b) => b.type === 'tool_use' && b.name === CLASSIFY_TOOL.name);
    analysis = reconcile(contract, parseAdvice(call?.type === 'tool_use' ? call.input : undefined));
  }
  const analysisRef = await deps.documents.put(
    project.id,
    'env',
    input.run.name,
    0,
    JSON.stringify(analysis),
  );
  await deps.deploys.update(project.id, input.run.name, {
    analysisRef,
    repository: project.repository.fullName,
    commit: input.commit,
  });
  return {
    analysisRef,
    repository: project.repository.fullName,
    projectName: project.name,
    commit: input.commit,
    needsBotToken: analysis.needsBotToken,
  };
}

/** The stored analysis of a run. */
export async function readAnalysis(
  documents: PipelineDocuments,
  projectId: string,
  ref: string,
): Promise<EnvAnalysis> {
  return JSON.parse(await documents.get(projectId, ref)) as EnvAnalysis;
}
