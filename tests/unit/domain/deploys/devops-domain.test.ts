import { beforeEach, describe, expect, it } from 'vitest';
import { DevopsService } from '../../../../lambdas/domain/deploys/devops-service.ts';
import {
  classifyByRules,
  type EnvContract,
  parseAdvice,
  parseEnvContract,
  reconcile,
} from '../../../../lambdas/domain/deploys/env-analysis.ts';
import { ProjectSecrets } from '../../../../lambdas/domain/deploys/project-secrets.ts';
import { SecretRequests } from '../../../../lambdas/domain/deploys/secret-requests.ts';
import { prepareSecretsStep } from '../../../../lambdas/domain/deploys/steps/prepare-secrets.ts';
import { SmokeTestFailed, smokeTestStep } from '../../../../lambdas/domain/deploys/steps/smoke-test.ts';
import { PipelineDocuments } from '../../../../lambdas/domain/pipelines/documents.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import type { Project } from '../../../../lambdas/domain/projects/project.ts';
import { MemoryPipelines } from '../../../support/memory-pipelines.ts';
import { MemorySecrets } from '../../../support/memory-secrets.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const OWNER = 2002;
const CHAT = 2002;
const run = {
  name: 'dep-weather-bot-55da0d-1',
  projectId: 'weather-bot-55da0d',
  ownerId: OWNER,
  chatId: CHAT,
};
const project: Project = {
  id: 'weather-bot-55da0d',
  ownerId: OWNER,
  name: 'weather-bot',
  description: 'a weather bot',
  status: 'ready',
  secretKeys: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const contract: EnvContract = [
  { name: 'PORT', kind: 'config', default: '3000' },
  { name: 'WEATHER_API_KEY', kind: 'secret' },
  { name: 'SESSION_SECRET', kind: 'secret' },
  { name: 'TELEGRAM_BOT_TOKEN', kind: 'secret' },
];

describe('env analysis', () => {
  it('classifies by the rules: config keeps its default, session keys are generated, API keys and the bot token are asked', () => {
    // Act
    const analysis = classifyByRules(contract);

    // Assess
    expect(analysis.variables.map((v) => [v.name, v.class])).toEqual([
      ['PORT', 'config'],
      ['WEATHER_API_KEY', 'ask'],
      ['SESSION_SECRET', 'generate'],
      ['TELEGRAM_BOT_TOKEN', 'ask'],
    ]);
    expect(analysis.variables[0]?.default).toBe('3000');
    expect(analysis.needsBotToken).toBe(true);
  });

  it('keeps the model inside the rules: a secret never becomes config, the bot token is never generated', () => {
    // Act
    const analysis = reconcile(
      contract,
      parseAdvice({
        variables: [
          { name: 'WEATHER_API_KEY', class: 'config' },
          { name: 'TELEGRAM_BOT_TOKEN', class: 'generate' },
          { name: 'SESSION_SECRET', class: 'ask' },
          { name: 'PORT', class: 'ask' },
        ],
      }),
    );

    // Assess: only the move between generate and ask of an ordinary secret is taken
    expect(Object.fromEntries(analysis.variables.map((v) => [v.name, v.class]))).toEqual({
      PORT: 'config',
      WEATHER_API_KEY: 'ask',
      SESSION_SECRET: 'ask',
      TELEGRAM_BOT_TOKEN: 'ask',
    });
  });

  it('treats malformed advice as none, and refuses a malformed contract with a clear error', () => {
    expect(parseAdvice({ variables: 'all of them' }).size).toBe(0);
    expect(() => parseEnvContract('{')).toThrow(/not JSON/);
    expect(() => parseEnvContract('[{"name":"lower","kind":"secret"}]')).toThrow(/invalid/);
    expect(() => parseEnvContract('[{"name":"A","kind":"config"},{"name":"A","kind":"secret"}]')).toThrow(
      /twice/,
    );
  });
});

describe('prepare secrets', () => {
  let store: MemoryStore;
  let secrets: MemorySecrets;
  let documents: PipelineDocuments;
  beforeEach(() => {
    store = new MemoryStore();
    secrets = new MemorySecrets();
    documents = new PipelineDocuments(store);
  });

  it('generates the infrastructure secrets once and names the first missing secret the person must give', async () => {
    // Prepare
    const analysisRef = await documents.put(
      run.projectId,
      'env',
      run.name,
      0,
      JSON.stringify(classifyByRules(contract)),
    );
    const projectSecrets = new ProjectSecrets(secrets, 'codegen/');
    const deps = { documents, secrets: projectSecrets, botPool: { canProvide: async () => true } };

    // Act
    const first = await prepareSecretsStep(deps, { run, analysisRef });
    const generatedValue = await secrets.get('codegen/projects/weather-bot-55da0d/SESSION_SECRET');
    const second = await prepareSecretsStep(deps, { run, analysisRef });

    // Assess: the pool covers the bot token; the API key is asked; the session key is kept
    expect(first).toEqual({ missingCount: 1, next: 'WEATHER_API_KEY', generated: 1 });
    expect(generatedValue).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.generated).toBe(0);
    expect(await secrets.get('codegen/projects/weather-bot-55da0d/SESSION_SECRET')).toBe(generatedValue);
    expect(JSON.stringify((await store.query('projects', `PROJECT#${run.projectId}`)).items)).not.toContain(
      generatedValue,
    );
  });

  it('asks for the bot token when the pool has none for the project', async () => {
    const analysisRef = await documents.put(
      run.projectId,
      'env',
      run.name,
      0,
      JSON.stringify(classifyByRules(contract)),
    );
    await secrets.put('projects/weather-bot-55da0d/WEATHER_API_KEY', 'k');
    const result = await prepareSecretsStep(
      { documents, secrets: new ProjectSecrets(secrets), botPool: { canProvide: async () => false } },
      { run, analysisRef },
    );
    expect(result).toEqual({ missingCount: 1, next: 'TELEGRAM_BOT_TOKEN', generated: 1 });
  });
});

describe('secret waits', () => {
  it('resumes the waiting run once, only for its owner and the awaited key', async () => {
    // Prepare
    const store = new MemoryStore();
    const pipelines = new MemoryPipelines();
    const requests = new SecretRequests(store);
    const service = new DevopsService({
      pipelines,
      deploys: new RunRecords(store, 'devops'),
      builds: new RunRecords(store),
      requests,
    });
    const started = await pipelines.start({ pipeline: 'devops', name: run.name, input: {} });
    const taskToken = pipelines.waitOn(started.runId, 'Ask the owner for a secret');
    await requests.open({
      ...run,
      chatId: CHAT,
      runName: run.name,
      key: 'WEATHER_API_KEY',
      taskToken,
      ttlSeconds: 60,
    });
    const admin = { userId: 1, role: 'admin' as const };
    const owner = { userId: OWNER, role: 'user' as const };

    // Act
    const byOther = await service.secretStored(admin, CHAT, run.projectId, 'WEATHER_API_KEY');
    const wrongKey = await service.secretStored(owner, CHAT, run.projectId, 'OTHER_KEY');
    const first = await service.secretStored(owner, CHAT, run.projectId, 'WEATHER_API_KEY');
    const again = await service.secretStored(owner, CHAT, run.projectId, 'WEATHER_API_KEY');

    // Assess
    expect([byOther, wrongKey, first, again]).toEqual([false, false, true, false]);
    expect(pipelines.answered.get(taskToken)).toEqual({ received: 'WEATHER_API_KEY' });
    expect(await requests.forChat(CHAT)).toBeUndefined();
  });

  it('deploys only a tested build, and a repeated start is the same run', async () => {
    // Prepare
    const store = new MemoryStore();
    const pipelines = new MemoryPipelines();
    const builds = new RunRecords(store);
    const service = new DevopsService({
      pipelines,
      deploys: new RunRecords(store, 'devops'),
      builds,
      requests: new SecretRequests(store),
    });
    await expect(service.start(project, CHAT)).rejects.toThrow(/no tested build/);
    await builds.put({
      runName: 'eng-weather-bot-55da0d-1',
      runId: 'r1',
      pipeline: 'engineering',
      projectId: project.id,
      ownerId: OWNER,
      chatId: CHAT,
      number: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      outcome: 'succeeded',
      builtCommit: 'a'.repeat(40),
    });

    // Act
    const first = await service.start(project, CHAT);

    // Assess: the input names the tested commit and carries no secret
    expect(first.runName).toBe('dep-weather-bot-55da0d-1');
    const input = [...pipelines.runs.values()][0]?.input as { run: { commit: string; serving: null } };
    expect(input.run.commit).toBe('a'.repeat(40));
    expect(input.run.serving).toBeNull();
    // A second deploy while the first runs is refused; once it ended, the next one starts
    await expect(service.start(project, CHAT)).rejects.toThrow(/already running/);
    await pipelines.stop(first.runId);
    await expect(service.start(project, CHAT)).resolves.toMatchObject({
      runName: 'dep-weather-bot-55da0d-2',
    });
  });
});

describe('smoke test', () => {
  it('passes a 200 and throws SmokeTestFailed (the state retries it, then rolls back) for anything else', async () => {
    const answering = (status: number) => ({ get: async () => ({ status, body: '' }) });
    const silent = { get: async () => Promise.reject(new Error('ECONNREFUSED')) };
    await expect(
      smokeTestStep({ probe: answering(200) }, { run, url: 'http://127.0.0.1:4100' }),
    ).resolves.toEqual({
      status: 200,
    });
    await expect(
      smokeTestStep({ probe: answering(500) }, { run, url: 'http://127.0.0.1:4100' }),
    ).rejects.toThrow(SmokeTestFailed);
    await expect(smokeTestStep({ probe: silent }, { run, url: 'http://127.0.0.1:4100' })).rejects.toThrow(
      /did not answer/,
    );
    await expect(smokeTestStep({ probe: answering(200) }, { run, url: 'file:///etc' })).rejects.toThrow(
      SmokeTestFailed,
    );
  });
});
