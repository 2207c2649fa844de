import type { RunHistoryEvent, RunStatus } from '../ports/pipelines.ts';

/** How a state went, as the console colours it; a state seen more than once shows its last visit. */
export type StateStatus = 'not-reached' | 'running' | 'succeeded' | 'failed' | 'aborted';

export interface StateProgress {
  status: Exclude<StateStatus, 'not-reached'>;
  /** How many times the run entered the state. */
  entered: number;
}

// Events that say the task (or the branches) of the state in progress failed. A Retry schedules the
// task again (TaskScheduled), which clears it; a Catch leaves the state with an exited event.
const FAILURES = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'ParallelStateFailed',
  'MapStateFailed',
]);
const RESTARTS = new Set(['TaskScheduled', 'TaskSucceeded', 'LambdaFunctionScheduled']);

/**
 * Each reached state's status from a run's history (AWS's event names, as both adapters write
 * them): entered and exited is succeeded, unless its task failed and a Catch led it out (failed);
 * entered and not left is running while the run runs, and takes the run's end otherwise (a Fail
 * state, an uncaught error, a stop). States never entered are absent: not reached.
 */
export function stateProgress(
  history: RunHistoryEvent[],
  runStatus: RunStatus,
): Record<string, StateProgress> {
  const progress: Record<string, StateProgress> = {};
  // States entered and not yet left, with whether their task failed last.
  const open = new Map<string, { enteredId: number; failed: boolean }>();
  const byId = new Map(history.map((e) => [e.id, e]));
  const owner = (event: RunHistoryEvent) => {
    // Follow previousEventId back to the state entered event of this task (AWS links them; the
    // local runner writes them in order), else the state entered last.
    let current: RunHistoryEvent | undefined = event;
    for (let hops = 0; current && hops < 50; hops++) {
      if (current.stateName && current.type.endsWith('StateEntered')) {
        const found = open.get(current.stateName);
        if (found?.enteredId === current.id) return found;
      }
      current = current.previousEventId === undefined ? undefined : byId.get(current.previousEventId);
    }
    return [...open.values()].at(-1);
  };
  const closeOpen = (status: StateProgress['status']) => {
    for (const [name, state] of open) {
      const entry = progress[name];
      if (entry) entry.status = state.failed ? 'failed' : status;
    }
    open.clear();
  };

  for (const event of history) {
    const name = event.stateName;
    if (name && event.type.endsWith('StateEntered')) {
      const entry = progress[name] ?? { status: 'running', entered: 0 };
      entry.entered++;
      entry.status = 'running';
      progress[name] = entry;
      open.delete(name);
      open.set(name, { enteredId: event.id, failed: false });
    } else if (name && event.type.endsWith('StateExited')) {
      // Only the exit of a state in progress counts (the local runner writes a caught state's twice).
      const state = open.get(name);
      const entry = progress[name];
      if (entry && state) entry.status = state.failed ? 'failed' : 'succeeded';
      open.delete(name);
    } else if (name && event.type.endsWith('StateAborted')) {
      const entry = progress[name];
      if (entry) entry.status = 'aborted';
      open.delete(name);
    } else if (FAILURES.has(event.type)) {
      const state = owner(event);
      if (state) state.failed = true;
    } else if (RESTARTS.has(event.type)) {
      const state = owner(event);
      if (state) state.failed = false;
    } else if (event.type === 'ExecutionSucceeded') {
      closeOpen('succeeded');
    } else if (event.type === 'ExecutionFailed' || event.type === 'ExecutionTimedOut') {
      closeOpen('failed');
    } else if (event.type === 'ExecutionAborted') {
      closeOpen('aborted');
    }
  }
  // A run stopped (or ended by a restart) without its closing event in the history.
  if (runStatus === 'SUCCEEDED') closeOpen('succeeded');
  else if (runStatus === 'FAILED' || runStatus === 'TIMED_OUT') closeOpen('failed');
  else if (runStatus === 'ABORTED') closeOpen('aborted');
  return progress;
}
