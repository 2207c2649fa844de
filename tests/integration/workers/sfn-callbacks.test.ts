import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sfnCallbacks } from '../../../containers/shared/sfn-callbacks.ts';
import { AwsJsonError, type AwsJsonServer, startAwsJsonServer } from '../../support/aws-json-server.ts';

// The real SFN client against a local endpoint speaking Step Functions' JSON 1.0 protocol.
describe('sfnCallbacks', () => {
  let server: AwsJsonServer;
  let client: SFNClient;
  beforeAll(async () => {
    server = await startAwsJsonServer();
    client = new SFNClient({ endpoint: server.endpoint, region: 'eu-west-1', maxAttempts: 1 });
  });
  afterAll(() => server.close());

  it('sends heartbeat, success (output as JSON) and failure with the bound token', async () => {
    // Prepare
    server.handle({
      'AWSStepFunctions.SendTaskHeartbeat': () => ({}),
      'AWSStepFunctions.SendTaskSuccess': () => ({}),
      'AWSStepFunctions.SendTaskFailure': () => ({}),
    });
    const callbacks = sfnCallbacks('token-1', client);
    // Act
    await callbacks.heartbeat();
    await callbacks.success({ commit: 'abc' });
    await callbacks.failure('GitError', 'clone failed');
    // Assess
    expect(server.callsTo('AWSStepFunctions.SendTaskHeartbeat')[0]?.body).toEqual({ taskToken: 'token-1' });
    expect(server.callsTo('AWSStepFunctions.SendTaskSuccess')[0]?.body).toEqual({
      taskToken: 'token-1',
      output: '{"commit":"abc"}',
    });
    expect(server.callsTo('AWSStepFunctions.SendTaskFailure')[0]?.body).toEqual({
      taskToken: 'token-1',
      error: 'GitError',
      cause: 'clone failed',
    });
  });

  it.each([
    ['TaskTimedOut', 'timed_out'],
    ['InvalidToken', 'invalid'],
    ['TaskDoesNotExist', 'invalid'],
  ])('maps %s to TaskTokenError %s', async (type, reason) => {
    server.handle({
      'AWSStepFunctions.SendTaskHeartbeat': () => {
        throw new AwsJsonError(type, 'no');
      },
    });
    await expect(sfnCallbacks('token-2', client).heartbeat()).rejects.toMatchObject({
      name: 'TaskTokenError',
      reason,
    });
  });
});
