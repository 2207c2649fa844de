import { describe, expect, it } from 'vitest';
import { lambdaDeployContext } from '../../../containers/shared/lambda-deploy-context.ts';

const CONTEXT = {
  token: 'ghs_x',
  cloneUrl: 'https://github.com/acme/weather-1a2b3c.git',
  env: { WEATHER_API_KEY: 'wx_secret_value' },
  server: {
    kind: 'ssh',
    host: '203.0.113.7',
    sshUser: 'deploy',
    sshPort: 22,
    baseDir: '/srv',
    privateKey: 'k',
  },
};

function fakeClient(answer: { Payload?: unknown; FunctionError?: string }) {
  const sent: unknown[] = [];
  return {
    sent,
    client: {
      send: async (command: { input: { FunctionName?: string; Payload?: Uint8Array } }) => {
        sent.push({
          FunctionName: command.input.FunctionName,
          Payload: JSON.parse(new TextDecoder().decode(command.input.Payload)),
        });
        return {
          ...(answer.FunctionError ? { FunctionError: answer.FunctionError } : {}),
          Payload: new TextEncoder().encode(JSON.stringify(answer.Payload ?? {})),
        };
      },
    },
  };
}

describe('lambdaDeployContext', () => {
  it('asks the job-context function for the run with purpose deploy and validates the answer', async () => {
    // Prepare
    const fake = fakeClient({ Payload: CONTEXT });
    const context = lambdaDeployContext({
      client: fake.client as never,
      functionName: 'stack-job-context',
      runName: 'ops-weather-1a2b3c-d1',
      projectId: 'weather-1a2b3c',
    });
    // Act
    const answer = await context();
    // Assess
    expect(answer).toEqual(CONTEXT);
    expect(fake.sent).toEqual([
      {
        FunctionName: 'stack-job-context',
        Payload: { runName: 'ops-weather-1a2b3c-d1', projectId: 'weather-1a2b3c', purpose: 'deploy' },
      },
    ]);
  });

  it.each([
    ['refuses', { FunctionError: 'Unhandled' }, 'Job context refused: Unhandled'],
    ['answers a malformed context', { Payload: { ...CONTEXT, server: undefined } }, 'invalid at: server'],
  ])('fails with DeployContextError when the function %s', async (_case, answer, message) => {
    const context = lambdaDeployContext({
      client: fakeClient(answer).client as never,
      functionName: 'f',
      runName: 'r',
      projectId: 'p',
    });
    await expect(context()).rejects.toMatchObject({
      name: 'DeployContextError',
      message: expect.stringContaining(message),
    });
  });
});
