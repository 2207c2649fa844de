import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CodingEngine, CodingResult, CodingTask } from '../../ports/coding-engine.ts';
import { envContractFor } from './env-contract-rules.ts';
import { type ProjectEndpoint, projectFiles } from './scripted-project.ts';

/**
 * The local, offline coding engine: deterministic (same spec, name and attempt give the same
 * files), zero tokens. It writes a small but real Node.js project (see scripted-project.ts) whose
 * `npm test` and `npm run lint` run with no network and no install, so the tester and the rework
 * loop are exercised for real.
 *
 * Fault setting, for rework tests: `failAttempts: n` (env SCRIPTED_ENGINE_FAIL_ATTEMPTS=n in the
 * workers) makes attempts 1..n write a project whose /health answers 500, so its own tests fail;
 * attempt n+1 writes the correct project. `hang: true` (SCRIPTED_ENGINE_HANG=1) makes it work until
 * it is aborted, as a stuck engine would, for the heartbeat and kill tests. `brokenStart: true`
 * (SCRIPTED_ENGINE_BROKEN_START_BRANCH=<branch>, for jobs on that branch) writes a project whose
 * tests pass but which exits when started, for the deploy's rollback tests. `stateFault: true`
 * (SCRIPTED_ENGINE_STATE_FAULT_BRANCH=<branch>) writes a project that starts healthy but fails its
 * health check for good once its state file in DATA_DIR is corrupt (a redeploy of the same
 * release does not help; the project of any other branch copes), for the fix-run tests. `tokensPerAttempt: n`
 * (SCRIPTED_ENGINE_TOKENS=n) reports n input tokens an attempt, for the budget tests (price the
 * model id `scripted-engine` in LLM_PRICES).
 */
export interface ScriptedEngineOptions {
  failAttempts?: number;
  hang?: boolean;
  brokenStart?: boolean;
  stateFault?: boolean;
  tokensPerAttempt?: number;
}

export const SCRIPTED_ENGINE_MODEL_ID = 'scripted-engine';
const MAX_ENDPOINTS = 2;

export class ScriptedEngine implements CodingEngine {
  readonly name = 'scripted';
  private readonly failAttempts: number;
  private readonly hang: boolean;
  private readonly brokenStart: boolean;
  private readonly stateFault: boolean;
  private readonly tokens: number;

  constructor(options: ScriptedEngineOptions = {}) {
    this.tokens = options.tokensPerAttempt ?? 0;
    this.failAttempts = options.failAttempts ?? 0;
    this.hang = options.hang ?? false;
    this.brokenStart = options.brokenStart ?? false;
    this.stateFault = options.stateFault ?? false;
  }

  async run(task: CodingTask): Promise<CodingResult> {
    task.signal?.throwIfAborted();
    if (this.hang) {
      // Busy as a stuck engine is (a live child process, an open socket): the process stays up.
      const busy = setInterval(() => undefined, 60_000);
      await new Promise((_, reject) => {
        task.signal?.addEventListener('abort', () => reject(task.signal?.reason), { once: true });
      }).finally(() => clearInterval(busy));
    }
    const broken = task.attempt <= this.failAttempts;
    const endpoints = endpointsFromSpec(task.spec);
    const files = projectFiles({
      projectName: task.projectName,
      packageName: packageName(task.projectName),
      endpoints,
      env: envContractFor(task.spec),
      broken,
      brokenStart: this.brokenStart,
      stateFault: this.stateFault,
    });
    for (const [path, text] of Object.entries(files)) {
      task.signal?.throwIfAborted();
      await mkdir(dirname(join(task.workdir, path)), { recursive: true });
      await writeFile(join(task.workdir, path), text);
    }
    const routes = ['/health', ...endpoints.map(({ keyword }) => `/${keyword}`)].join(', ');
    const rework = task.testReport ? ` after a red test report (${firstLine(task.testReport)})` : '';
    return {
      outcome: 'done',
      summary: `Attempt ${task.attempt}${rework}: HTTP service with ${routes}, tests, lint and env contract`,
      usage: { inputTokens: this.tokens, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
      modelId: SCRIPTED_ENGINE_MODEL_ID,
      turns: 0,
    };
  }
}

const STORY = /\bI (?:want|would like|need|can)(?: to)? (.+?)(?:,? so that\b.*)?$/i;
const STOP_WORDS = new Set([
  'able',
  'about',
  'after',
  'also',
  'ask',
  'been',
  'being',
  'from',
  'have',
  'into',
  'know',
  'like',
  'make',
  'more',
  'need',
  'only',
  'over',
  'receive',
  'same',
  'should',
  'some',
  'that',
  'their',
  'them',
  'then',
  'there',
  'they',
  'this',
  'through',
  'very',
  'want',
  'what',
  'when',
  'which',
  'with',
  'would',
  'your',
  'health',
  'every',
  'each',
  'using',
  'send',
  'sends',
  'message',
  'messages',
  'telegram',
]);

/**
 * One endpoint per user story ("As a ..., I want to ... so that ..."), named by the story's
 * first meaningful word; at most two. A spec without such stories gets a single `/info`.
 */
export function endpointsFromSpec(spec: string): ProjectEndpoint[] {
  const endpoints: ProjectEndpoint[] = [];
  for (const line of spec.split('\n')) {
    const wish = STORY.exec(line.trim())?.[1];
    if (!wish) continue;
    const keyword = wish
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .find((word) => word.length >= 4 && !STOP_WORDS.has(word));
    if (!keyword || endpoints.some((endpoint) => endpoint.keyword === keyword)) continue;
    endpoints.push({ keyword, story: line.trim().replace(/^[-*\d.\s]+/, '') });
    if (endpoints.length === MAX_ENDPOINTS) break;
  }
  return endpoints.length > 0
    ? endpoints
    : [{ keyword: 'info', story: firstLine(spec) || 'What this service is' }];
}

function packageName(projectName: string): string {
  return (
    projectName
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'project'
  );
}

function firstLine(text: string): string {
  return (text.split('\n').find((line) => line.trim() !== '') ?? '').trim().slice(0, 120);
}
