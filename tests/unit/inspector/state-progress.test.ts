import { describe, expect, it } from 'vitest';
import { stateProgress } from '../../../lambdas/inspector/state-progress.ts';
import type { RunHistoryEvent } from '../../../lambdas/ports/pipelines.ts';

/** A history from [type, state?] pairs, linked as the local runner links them. */
const history = (...events: Array<[string, string?]>): RunHistoryEvent[] =>
  events.map(([type, stateName], i) => ({
    id: i + 1,
    ...(i > 0 ? { previousEventId: i } : {}),
    type,
    timestamp: new Date(i * 1000).toISOString(),
    ...(stateName ? { stateName } : {}),
  }));

const task = (name: string, outcome: 'TaskSucceeded' | 'TaskFailed'): Array<[string, string?]> => [
  ['TaskStateEntered', name],
  ['TaskScheduled'],
  ['TaskStarted'],
  [outcome],
  ['TaskStateExited', name],
];

describe('stateProgress', () => {
  it('marks states left normally succeeded, a caught failure failed, and the Fail state failed', () => {
    // Prepare
    const events = history(
      ['ExecutionStarted'],
      ...task('Write', 'TaskSucceeded'),
      ...task('Test', 'TaskFailed'),
      ...task('Tell', 'TaskSucceeded'),
      ['FailStateEntered', 'Failed'],
      ['ExecutionFailed'],
    );

    // Act
    const progress = stateProgress(events, 'FAILED');

    // Assess
    expect(progress).toEqual({
      Write: { status: 'succeeded', entered: 1 },
      Test: { status: 'failed', entered: 1 },
      Tell: { status: 'succeeded', entered: 1 },
      Failed: { status: 'failed', entered: 1 },
    });
  });

  it('counts visits, keeps the last visit, and clears a failure that a retry recovered', () => {
    // Prepare: red, then a retry that succeeds; a second visit in progress
    const events = history(
      ['ExecutionStarted'],
      ['TaskStateEntered', 'Write'],
      ['TaskScheduled'],
      ['TaskStarted'],
      ['TaskFailed'],
      ['TaskScheduled'],
      ['TaskStarted'],
      ['TaskSucceeded'],
      ['TaskStateExited', 'Write'],
      ['PassStateEntered', 'Again'],
      ['PassStateExited', 'Again'],
      ['TaskStateEntered', 'Write'],
      ['TaskScheduled'],
      ['TaskStarted'],
    );

    // Act
    const progress = stateProgress(events, 'RUNNING');

    // Assess
    expect(progress.Write).toEqual({ status: 'running', entered: 2 });
    expect(progress.Again).toEqual({ status: 'succeeded', entered: 1 });
  });

  it('ignores a second exit of a state no longer in progress (the local runner writes one after a Catch)', () => {
    // Prepare
    const events = history(
      ['TaskStateEntered', 'Work'],
      ['TaskFailed'],
      ['TaskStateExited', 'Work'],
      ['TaskSucceeded'],
      ['TaskStateExited', 'Work'],
    );

    // Act
    const progress = stateProgress(events, 'RUNNING');

    // Assess
    expect(progress.Work?.status).toBe('failed');
  });

  it.each([
    { runStatus: 'SUCCEEDED' as const, closing: 'ExecutionSucceeded', state: 'succeeded' },
    { runStatus: 'TIMED_OUT' as const, closing: 'ExecutionTimedOut', state: 'failed' },
    { runStatus: 'ABORTED' as const, closing: 'ExecutionAborted', state: 'aborted' },
    { runStatus: 'ABORTED' as const, closing: undefined, state: 'aborted' },
  ])(
    'ends a state left in progress as the run ended: $runStatus ($closing)',
    ({ runStatus, closing, state }) => {
      // Prepare
      const events = history(['TaskStateEntered', 'Wait'], ...(closing ? [[closing] as [string]] : []));

      // Act
      const progress = stateProgress(events, runStatus);

      // Assess
      expect(progress.Wait?.status).toBe(state);
    },
  );
});
