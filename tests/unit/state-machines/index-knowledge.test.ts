import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stateMachineFor } from '../../../lambdas/adapters/local/step-functions/state-machines.ts';
import { LOCAL_SUBSTITUTIONS, loadDefinition } from '../../../scripts/local-stack/engineering.ts';

const FILE = new URL('../../../state-machines/engineering.asl.json', import.meta.url).pathname;
const raw = JSON.parse(readFileSync(FILE, 'utf8')) as {
  States: Record<string, { Next?: string; Choices?: Array<{ Next: string }>; Retry?: unknown[] }>;
};

/** A green first attempt with every Task answered here; `index` answers the knowledge step. */
async function runGreenBuild(index: () => Promise<unknown>) {
  const entered: string[] = [];
  const payloads: Record<string, unknown> = {};
  const answer =
    (name: string, output: unknown) =>
    async (input: unknown): Promise<unknown> => {
      entered.push(name);
      payloads[name] = input;
      return output;
    };
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {
    'Tell the owner the build started': answer('started', {}),
    'Write the spec': answer('spec', { Payload: { specRef: 'doc:spec:build-1:0', title: 'Weather' } }),
    'Create the repository': answer('repo', {
      Payload: {
        repository: 'local/weather-bot',
        projectName: 'weather-bot',
        htmlUrl: 'http://git/local/weather-bot',
        branch: 'main',
        specPath: 'docs/spec.md',
      },
    }),
    'Check the budget': answer('budget', {
      Payload: { over: false, scope: null, spentMicros: 0, limitMicros: 1 },
    }),
    'Write the code': answer('code', { outcome: 'done', commit: 'c0ffee', summary: 'done' }),
    'Test on a fresh clone': answer('test', { passed: true, commit: 'c0ffee' }),
    'Record the attempt': answer('record', {
      Payload: { passed: true, reportRef: 'doc:report:build-1:1', commit: 'c0ffee' },
    }),
    'Index the project knowledge': async (input) => {
      entered.push('index');
      payloads.index = input;
      return { Payload: await index() };
    },
    'Tell the owner it is built': answer('built', {}),
  };
  const machine = stateMachineFor(loadDefinition(FILE, LOCAL_SUBSTITUTIONS));
  const execution = machine.run(
    {
      run: {
        name: 'build-1',
        projectId: 'weather-bot-a1b2c3',
        ownerId: 2002,
        chatId: 2002,
        requestRef: 'doc:request:build-1:0',
        taskGroup: 'build-1',
        number: 1,
        deployAfter: false,
      },
    } as never,
    {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: { all: 0 } as never,
      },
      context: { Task: { Token: 'token-1' } } as never,
    },
  );
  const output = (await execution.result) as Record<string, unknown>;
  return { entered, payloads, output };
}

describe('engineering.asl.json: indexing the project knowledge', () => {
  it('indexes after a green attempt, before the owner is told, with the commit that was tested', async () => {
    // Act
    const { entered, payloads, output } = await runGreenBuild(async () => ({
      indexed: true,
      commit: 'c0ffee',
    }));

    // Assess
    expect(entered.slice(-3)).toEqual(['record', 'index', 'built']);
    expect(payloads.index).toMatchObject({
      FunctionName: 'index-knowledge',
      Payload: { run: { name: 'build-1', projectId: 'weather-bot-a1b2c3', ownerId: 2002 }, commit: 'c0ffee' },
    });
    expect(output.knowledge).toEqual({ result: { indexed: true, commit: 'c0ffee' } });
  });

  it('still tells the owner it is built when indexing fails, and keeps the error in the run', async () => {
    // Act
    const { entered, output } = await runGreenBuild(async () => {
      throw Object.assign(new Error('S3 Vectors is throttling'), { name: 'ThrottlingException' });
    });

    // Assess
    expect(entered.at(-1)).toBe('built');
    expect(output.knowledge).toMatchObject({ Error: 'ThrottlingException' });
    expect(String((output.knowledge as { Cause?: string }).Cause)).toContain('S3 Vectors is throttling');
  });

  it('is entered only from a green verdict and retries with backoff and full jitter', () => {
    const into = Object.entries(raw.States)
      .filter(
        ([, s]) =>
          s.Next === 'Index the project knowledge' ||
          s.Choices?.some((c) => c.Next === 'Index the project knowledge'),
      )
      .map(([name]) => name);
    expect(into).toEqual(['Did the tests pass?']);
    expect(raw.States['Index the project knowledge']?.Retry?.[0]).toMatchObject({
      BackoffRate: 2,
      JitterStrategy: 'FULL',
    });
  });
});
