import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface State {
  Type: string;
  Comment?: string;
  Resource?: string;
  TimeoutSeconds?: number;
  HeartbeatSeconds?: number;
  Retry?: Array<{ ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Parameters?: Record<string, unknown>;
  Next?: string;
}

// asl-validator ships no types: its default export takes a definition and reports errors.
const aslValidator = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
};

const load = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../../state-machines/${name}.asl.json`, import.meta.url), 'utf8')) as {
    StartAt: string;
    TimeoutSeconds?: number;
    States: Record<string, State>;
  };

describe.each(['engineering', 'devops'])('state-machines/%s.asl.json', (name) => {
  const definition = load(name);
  const states = Object.entries(definition.States);
  const tasks = states.filter(([, s]) => s.Type === 'Task');

  it('is valid ASL (asl-validator) in JSONPath', () => {
    const { isValid, errors } = (
      aslValidator as unknown as (d: unknown) => { isValid: boolean; errors: unknown[] }
    )(definition);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    expect(JSON.stringify(definition)).not.toContain('JSONata');
  });

  it('gives every state a readable name and a comment, as an operator reads it in the console', () => {
    for (const [stateName, state] of states) {
      expect(stateName, stateName).toMatch(/^[A-Z][A-Za-z ?'-]+$/);
      expect(state.Comment?.length ?? 0, stateName).toBeGreaterThan(10);
    }
  });

  it('bounds every Task with TimeoutSeconds and every callback with HeartbeatSeconds below it', () => {
    expect(definition.TimeoutSeconds).toBeGreaterThan(0);
    for (const [stateName, state] of tasks) {
      expect(state.TimeoutSeconds, stateName).toBeGreaterThan(0);
      if (state.Resource?.endsWith('.waitForTaskToken')) {
        expect(state.HeartbeatSeconds, stateName).toBeGreaterThan(0);
        expect(state.HeartbeatSeconds, stateName).toBeLessThan(state.TimeoutSeconds ?? 0);
      }
    }
  });

  it('retries transient errors with backoff and full jitter, and catches every failure of a Task', () => {
    for (const [stateName, state] of tasks) {
      expect(state.Retry?.length ?? 0, stateName).toBeGreaterThan(0);
      for (const retry of state.Retry ?? []) {
        expect(retry.JitterStrategy, stateName).toBe('FULL');
        expect(retry.BackoffRate, stateName).toBeGreaterThan(1);
        expect(retry.ErrorEquals, stateName).not.toContain('States.ALL');
      }
      expect(
        state.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')),
        stateName,
      ).toBe(true);
    }
  });

  it('tells the owner on every path that ends the run', () => {
    const ends = states.filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail').map(([n]) => n);
    for (const end of ends) {
      const before = states.filter(([, s]) => s.Next === end || s.Catch?.some((c) => c.Next === end));
      expect(before.length, end).toBeGreaterThan(0);
      for (const [stateName, state] of before) {
        // Starting the deploy hands the telling on to the devops run, which says it started.
        expect(String((state.Parameters?.FunctionName as string) ?? ''), `${stateName} -> ${end}`).toMatch(
          /^\$\{(NotifyOwnerFunction|StartDeployFunction)\}$/,
        );
      }
    }
  });

  it('passes tokens only through the task token, never a credential or a document field', () => {
    // Every key a state hands on (Parameters, Payload, ResultSelector) names an id or a reference.
    const keys: string[] = [];
    const collect = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object')
        for (const [key, inner] of Object.entries(value)) {
          keys.push(key.replace(/\.\$$/, ''));
          collect(inner);
        }
    };
    for (const [, state] of states)
      collect([state.Parameters, (state as { ResultSelector?: unknown }).ResultSelector]);
    const forbidden = /password|secret|private|token|credential|^spec$|^report$|^env$/i;
    // The task token itself and a boolean about the app's needs are allowed.
    const allowed = new Set(['taskToken', 'needsBotToken']);
    expect(keys.filter((key) => forbidden.test(key) && !allowed.has(key))).toEqual([]);
    expect(JSON.stringify(definition)).not.toMatch(/"(githubToken|botToken|privateKey)"/);
  });
});
