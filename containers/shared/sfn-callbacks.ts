import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';
import type { WorkerCallbacks } from './types.ts';

/**
 * The task-token callbacks on Step Functions (SendTask*), token bound. `AWS_ENDPOINT_URL_SFN`
 * points the client elsewhere (the SDK reads it), e.g. a local endpoint speaking the same API.
 * A dead token surfaces as TaskTokenError, the worker's signal to stop.
 */
export function sfnCallbacks(taskToken: string, client = new SFNClient({})): WorkerCallbacks {
  const call = async (send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TaskTimedOut') throw new TaskTokenError('timed_out');
      if (name === 'InvalidToken' || name === 'TaskDoesNotExist') throw new TaskTokenError('invalid');
      throw error;
    }
  };
  return {
    heartbeat: () => call(() => client.send(new SendTaskHeartbeatCommand({ taskToken }))),
    success: (output) =>
      call(() => client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
    failure: (error, cause) =>
      call(() => client.send(new SendTaskFailureCommand({ taskToken, error, cause }))),
  };
}
