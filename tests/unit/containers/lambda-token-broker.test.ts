import { describe, expect, it } from 'vitest';
import { lambdaTokenBroker } from '../../../containers/shared/lambda-token-broker.ts';

const fakeClient = (answer: { Payload?: unknown; FunctionError?: string }) => {
  const sent: Array<{ FunctionName?: string; Payload?: unknown }> = [];
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
};

describe('lambdaTokenBroker', () => {
  it("asks the job-context function for the run's project with the access it needs", async () => {
    // Prepare
    const fake = fakeClient({
      Payload: { token: 'ghs_x', cloneUrl: 'https://github.com/acme/weather-bot-1a2b3c.git' },
    });
    const broker = lambdaTokenBroker({
      client: fake.client as never,
      functionName: 'stack-job-context',
      runName: 'eng-weather-bot-1a2b3c-1',
      repository: 'acme/weather-bot-1a2b3c',
      access: 'read',
    });

    // Act
    const answer = await broker.token();

    // Assess
    expect(answer).toEqual({ token: 'ghs_x', cloneUrl: 'https://github.com/acme/weather-bot-1a2b3c.git' });
    expect(fake.sent).toEqual([
      {
        FunctionName: 'stack-job-context',
        Payload: { runName: 'eng-weather-bot-1a2b3c-1', projectId: 'weather-bot-1a2b3c', access: 'read' },
      },
    ]);
  });

  it('fails with TokenBrokerError when the broker refuses (a run that is not going)', async () => {
    // Prepare
    const fake = fakeClient({ FunctionError: 'Unhandled', Payload: { errorMessage: 'Run is SUCCEEDED' } });
    const broker = lambdaTokenBroker({
      client: fake.client as never,
      functionName: 'f',
      runName: 'r',
      repository: 'acme/p',
      access: 'write',
    });

    // Act
    const asking = broker.token();

    // Assess
    await expect(asking).rejects.toMatchObject({
      name: 'TokenBrokerError',
      message: 'Token broker refused: Unhandled',
    });
  });
});
