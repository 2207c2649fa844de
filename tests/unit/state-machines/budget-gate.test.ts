import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Choices?: Array<{ Next: string; Variable?: string }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Parameters?: { FunctionName?: string; Payload?: Record<string, unknown> };
}

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../state-machines/${name}.asl.json`, import.meta.url), 'utf8')) as {
    States: Record<string, State>;
  };
const definition = load('engineering');
const states = Object.entries(definition.States);
const targets = (s: State) => [s.Next, s.Default, ...(s.Choices ?? []).map((c) => c.Next)].filter(Boolean);

describe('engineering.asl.json: the budget gate', () => {
  it('enters "Write the spec" and "Write the code" only through the gate: within the budget, or raised', () => {
    const into = (target: string) =>
      states.filter(([, s]) => targets(s).includes(target)).map(([name]) => name);
    expect(into('Write the code')).toEqual(['Go on within the budget']);
    expect(into('Write the spec')).toEqual(['Go on within the budget']);
    expect(into('Go on within the budget').sort()).toEqual(['Raise or stop?', 'Within the budget?']);
    expect(into('Check the budget').sort()).toEqual(['Describe the job', 'No attempt yet']);
    // First through the gate before the spec (no attempt yet), then before every attempt.
    expect(definition.States['Tell the owner the build started']?.Next).toBe('No attempt yet');
    const goOn = definition.States['Go on within the budget'] as State & {
      Choices: Array<{ Variable: string; NumericEquals: number; Next: string }>;
    };
    expect(goOn.Choices).toEqual([{ Variable: '$.attempt.n', NumericEquals: 0, Next: 'Write the spec' }]);
    expect(goOn.Default).toBe('Write the code');
    expect(definition.States['Check the budget']?.Next).toBe('Within the budget?');
  });

  it('waits for the owner on a task token, bounded, and tells them on every way out', () => {
    const wait = definition.States['Wait for a budget decision'];
    expect(wait?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait?.Parameters?.FunctionName).toBe('${AskBudgetFunction}');
    expect(wait?.Parameters?.Payload?.['taskToken.$']).toBe('$$.Task.Token');
    expect(wait?.TimeoutSeconds).toBe(86_400);
    expect(wait?.HeartbeatSeconds).toBeLessThan(86_400);
    expect(wait?.Catch?.[0]).toMatchObject({
      ErrorEquals: ['States.ALL'],
      Next: 'Tell the owner the build failed',
    });
    expect(definition.States['Raise or stop?']?.Default).toBe('Tell the owner it stopped at the budget');
    const told = definition.States['Tell the owner it stopped at the budget'];
    expect(told?.Parameters?.Payload?.event).toBe('stopped_at_budget');
    expect(told?.Next).toBe('Stopped at the budget');
    expect(definition.States['Stopped at the budget']?.Type).toBe('Succeed');
  });
});

describe('devops.asl.json: the budget gate', () => {
  const devops = load('devops');
  const devopsStates = Object.entries(devops.States);

  it('gates the env analysis (the first spend of the run): nothing goes around it', () => {
    const into = devopsStates
      .filter(([, s]) => targets(s).includes('Classify the variables'))
      .map(([name]) => name);
    expect(into.sort()).toEqual(['Raise or stop?', 'Within the budget?']);
    expect(devops.States['Tell the owner the deploy started']?.Next).toBe('Check the budget');
    expect(devops.States['Check the budget']?.Parameters?.FunctionName).toBe('${CheckBudgetFunction}');
    expect(devops.States['Within the budget?']?.Choices?.[0]?.Next).toBe('Wait for a budget decision');
  });

  it('asks as a deploy, waits bounded, and a stop ends as Succeed with a devops event', () => {
    const wait = devops.States['Wait for a budget decision'];
    expect(wait?.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait?.Parameters?.FunctionName).toBe('${AskBudgetFunction}');
    expect(wait?.Parameters?.Payload).toMatchObject({ pipeline: 'devops', 'taskToken.$': '$$.Task.Token' });
    expect(wait?.TimeoutSeconds).toBe(86_400);
    expect(wait?.HeartbeatSeconds).toBeLessThan(86_400);
    expect(wait?.Catch?.[0]?.Next).toBe('Tell the owner the deploy failed');
    expect(devops.States['Raise or stop?']?.Default).toBe('Tell the owner it stopped at the budget');
    const told = devops.States['Tell the owner it stopped at the budget'];
    expect(told?.Parameters?.Payload).toMatchObject({ event: 'stopped_at_budget', pipeline: 'devops' });
    expect(devops.States[told?.Next ?? '']?.Type).toBe('Succeed');
  });
});
