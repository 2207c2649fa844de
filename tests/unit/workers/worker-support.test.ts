import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { failureCause, failureName, InvalidJobError } from '../../../containers/shared/errors.ts';
import { GitError } from '../../../containers/shared/git.ts';
import { ipcChannel } from '../../../containers/shared/ipc-channel.ts';
import { CodingJob, parseJob, TestJob } from '../../../containers/shared/job.ts';
import { projectEnv } from '../../../containers/shared/run-command.ts';
import { httpTokenBroker } from '../../../containers/shared/token-broker-client.ts';
import { CodingEngineError } from '../../../lambdas/ports/coding-engine.ts';
import { TaskTokenError } from '../../../lambdas/ports/pipelines.ts';

const CODING = { runName: 'r-1', projectName: 'p', repository: 'org/p', branch: 'feature/x', attempt: 1 };

describe('worker support', () => {
  it.each([
    [new CodingEngineError('x', 'api_error'), 'CodingEngineError'],
    [new GitError('x', 128), 'GitError'],
    [new InvalidJobError('x'), 'InvalidJobError'],
    [new TypeError('x'), 'WorkerError'],
    ['a string', 'WorkerError'],
  ])('names the failure of %s as %s', (error, name) => {
    expect(failureName(error)).toBe(name);
  });

  it('takes secrets out of the cause', () => {
    expect(failureCause(new Error('push with ghs_abc failed (ghs_abc)'), ['ghs_abc', ''])).toBe(
      'push with *** failed (***)',
    );
  });

  it('gives project commands none of the worker environment but the basics', () => {
    const env = projectEnv({
      PATH: '/bin',
      HOME: '/home/node',
      TASK_TOKEN: 't',
      GITHUB_TOKEN: 'g',
      AWS_SECRET_ACCESS_KEY: 's',
    });
    expect(env).toEqual({
      PATH: '/bin',
      HOME: '/home/node',
      CI: 'true',
      NO_COLOR: '1',
      npm_config_update_notifier: 'false',
    });
  });

  it.each([
    ['no spec nor specRef', CODING],
    ['a specRef that climbs out of the repository', { ...CODING, specRef: '../etc/passwd' }],
    ['an absolute specRef', { ...CODING, specRef: '/etc/passwd' }],
    ['attempt 0', { ...CODING, spec: 's', attempt: 0 }],
  ])('rejects a coding job with %s', (_, job) => {
    expect(() => parseJob(CodingJob, JSON.stringify(job))).toThrow(InvalidJobError);
  });

  it('accepts the jobs the pipeline sends', () => {
    expect(parseJob(CodingJob, JSON.stringify({ ...CODING, specRef: 'docs/SPEC.md' })).specRef).toBe(
      'docs/SPEC.md',
    );
    expect(parseJob(TestJob, JSON.stringify({ ...CODING, commit: 'a1b2c3d' })).commit).toBe('a1b2c3d');
    expect(() => parseJob(TestJob, 'not json')).toThrow('JOB is not JSON');
  });
});

describe('httpTokenBroker', () => {
  const servers: ReturnType<typeof createServer>[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  async function broker(status: number, body: unknown) {
    const seen: { headers?: Record<string, unknown>; body?: unknown } = {};
    const server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      seen.headers = request.headers;
      seen.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
    const access = httpTokenBroker({
      url,
      taskToken: 'task-1',
      runName: 'r-1',
      repository: 'org/p',
      access: 'read',
    });
    return { access, seen };
  }

  it('asks for a scoped token with the task token as proof', async () => {
    const { access, seen } = await broker(200, { token: 'ghs_1', cloneUrl: 'https://git.example/org/p.git' });
    await expect(access.token()).resolves.toEqual({
      token: 'ghs_1',
      cloneUrl: 'https://git.example/org/p.git',
    });
    expect(seen.headers?.['x-task-token']).toBe('task-1');
    expect(seen.body).toEqual({ runName: 'r-1', repository: 'org/p', access: 'read' });
  });

  it('fails with TokenBrokerError on a refusal', async () => {
    const { access } = await broker(403, { error: 'run not live' });
    await expect(access.token()).rejects.toMatchObject({ name: 'TokenBrokerError' });
  });
});

describe('ipcChannel', () => {
  /** A child's side of the IPC channel: records what is sent; `die` is the parent going away. */
  function fakeChannel() {
    const emitter = new EventEmitter() as EventEmitter & { connected: boolean; sent: unknown[] };
    emitter.connected = true;
    emitter.sent = [];
    const channel = Object.assign(emitter, {
      send: (message: unknown, _h?: unknown, _o?: unknown, callback?: (error: Error | null) => void) => {
        emitter.sent.push(message);
        callback?.(emitter.connected ? null : new Error('Channel closed'));
        return emitter.connected;
      },
      disconnect: () => undefined,
      die: () => {
        emitter.connected = false;
        emitter.emit('disconnect');
      },
    });
    return channel;
  }

  it('stops an orphan: pending and later requests fail as a dead token, and lost fires', async () => {
    // Prepare: a heartbeat the parent never answered
    const channel = fakeChannel();
    const ipc = ipcChannel(channel as unknown as NodeJS.Process);
    const heartbeat = ipc.callbacks.heartbeat();

    // Act: the parent is killed with SIGKILL
    channel.die();

    // Assess
    await expect(heartbeat).rejects.toMatchObject({ name: 'TaskTokenError', reason: 'invalid' });
    await expect(ipc.callbacks.success({ commit: 'abc' })).rejects.toMatchObject({ reason: 'invalid' });
    await expect(ipc.repositoryAccess.token()).rejects.toBeInstanceOf(TaskTokenError);
    expect(ipc.lost.aborted).toBe(true);
    expect(ipc.lost.reason).toBeInstanceOf(TaskTokenError);
    expect(channel.sent).toHaveLength(1);
    ipc.close();
  });
});
