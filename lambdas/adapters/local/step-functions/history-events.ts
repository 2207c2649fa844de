import type { RunHistoryEvent } from '../../../ports/pipelines.ts';

/** The fields of the library's event logs that the mapping reads (its types are not exported). */
export interface LibraryEvent {
  type: string;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  index?: number;
}

export type MappedEvent = Omit<RunHistoryEvent, 'id' | 'previousEventId' | 'timestamp'>;

const json = (value: unknown) => JSON.stringify(value ?? null);
const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
const TIMEOUTS = new Set(['States.Timeout', 'States.HeartbeatTimeout']);

/**
 * One event of aws-local-stepfunctions -> the events Step Functions writes for the same moment,
 * named as AWS names them (TaskStateEntered, TaskScheduled, ...), so a history reads the same in
 * both worlds. A retried Task is scheduled again, as in AWS; Pass/Choice failures and parallel
 * branch events have no event of their own in AWS and map to nothing.
 */
export function mapLibraryEvent(event: LibraryEvent): MappedEvent[] {
  const state = event.state;
  const errorFields = {
    ...(event.Error !== undefined ? { error: event.Error } : {}),
    ...(event.Cause !== undefined ? { cause: text(event.Cause) } : {}),
  };
  switch (event.type) {
    case 'ExecutionStarted':
      return [{ type: 'ExecutionStarted', input: json(event.input) }];
    case 'ExecutionSucceeded':
      return [{ type: 'ExecutionSucceeded', output: json(event.output) }];
    case 'ExecutionFailed':
      return [{ type: 'ExecutionFailed', ...errorFields }];
    case 'ExecutionAborted':
      return [{ type: 'ExecutionAborted' }];
    case 'ExecutionTimeout':
      return [{ type: 'ExecutionTimedOut', error: 'States.Timeout' }];
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed':
      return [{ type: event.type }];
    case 'StateEntered': {
      if (!state) return [];
      const entered: MappedEvent = {
        type: `${state.type}StateEntered`,
        stateName: state.name,
        input: json(state.input),
      };
      if (state.type === 'Task') return [entered, { type: 'TaskScheduled' }, { type: 'TaskStarted' }];
      if (state.type === 'Map' || state.type === 'Parallel')
        return [entered, { type: `${state.type}StateStarted` }];
      return [entered];
    }
    case 'StateExited': {
      // AWS closes a run at a Succeed or Fail state without an exited event.
      if (!state || state.type === 'Succeed' || state.type === 'Fail') return [];
      const exited: MappedEvent = {
        type: `${state.type}StateExited`,
        stateName: state.name,
        output: json(state.output),
      };
      if (state.type === 'Task') return [{ type: 'TaskSucceeded', output: json(state.output) }, exited];
      if (state.type === 'Map' || state.type === 'Parallel')
        return [{ type: `${state.type}StateSucceeded` }, exited];
      return [exited];
    }
    case 'StateFailed':
      if (state?.type === 'Task') {
        return [{ type: TIMEOUTS.has(event.Error ?? '') ? 'TaskTimedOut' : 'TaskFailed', ...errorFields }];
      }
      if (state?.type === 'Map' || state?.type === 'Parallel')
        return [{ type: `${state.type}StateFailed`, ...errorFields }];
      return [];
    case 'StateRetried':
      return state?.type === 'Task' ? [{ type: 'TaskScheduled' }, { type: 'TaskStarted' }] : [];
    case 'StateCaught':
      // The state is left through its Catch: AWS writes the exited event then.
      return state ? [{ type: `${state.type}StateExited`, stateName: state.name }] : [];
    default:
      return [];
  }
}
