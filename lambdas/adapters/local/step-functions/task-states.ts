/**
 * Finds every Task state of an ASL definition, nested ones (Parallel branches, Map processors)
 * included, because aws-local-stepfunctions replaces Task states by STATE NAME while our dispatch
 * is by RESOURCE. Resources we cannot run locally fail here, at construction, naming the state.
 */
export type TaskKind = 'lambda' | 'lambda-callback' | 'ecs-callback';

export interface TaskStatePlan {
  stateName: string;
  kind: TaskKind;
  resource: string;
  heartbeatSeconds?: number;
  timeoutSeconds?: number;
  /** `Parameters.FunctionName` or `Parameters.TaskDefinition` when fixed in the definition. */
  target?: string;
}

const KINDS: Record<string, TaskKind> = {
  'arn:aws:states:::lambda:invoke': 'lambda',
  'arn:aws:states:::lambda:invoke.waitForTaskToken': 'lambda-callback',
  'arn:aws:states:::ecs:runTask.waitForTaskToken': 'ecs-callback',
};

interface AslState {
  Type?: string;
  Resource?: string;
  HeartbeatSeconds?: number;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Parameters?: Record<string, unknown>;
  Retry?: { ErrorEquals?: string[] }[];
  Catch?: { ErrorEquals?: string[] }[];
  Branches?: AslMachine[];
  ItemProcessor?: AslMachine;
  Iterator?: AslMachine;
}
interface AslMachine {
  States?: Record<string, AslState>;
}

export function planTaskStates(definition: object): Map<string, TaskStatePlan> {
  const plans = new Map<string, TaskStatePlan>();
  const visit = (machine: AslMachine | undefined) => {
    for (const [stateName, state] of Object.entries(machine?.States ?? {})) {
      if (state.Type === 'Task') {
        const kind = KINDS[state.Resource ?? ''];
        if (!kind) {
          throw new Error(
            `Task state "${stateName}" uses ${state.Resource}, which the local runner cannot run (supported: ${Object.keys(KINDS).join(', ')})`,
          );
        }
        // The library keys overrides by name, so two Task states of one name could not be told apart.
        if (plans.has(stateName)) throw new Error(`Two Task states are named "${stateName}"`);
        const named =
          kind === 'ecs-callback' ? state.Parameters?.TaskDefinition : state.Parameters?.FunctionName;
        const target = typeof named === 'string' ? localName(named) : undefined;
        plans.set(stateName, {
          stateName,
          kind,
          resource: state.Resource!,
          ...(state.HeartbeatSeconds
            ? { heartbeatSeconds: Math.min(state.HeartbeatSeconds, MAX_TIMER_SECONDS) }
            : {}),
          ...(state.TimeoutSeconds
            ? { timeoutSeconds: Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS) }
            : {}),
          ...(target !== undefined ? { target } : {}),
        });
      }
      for (const branch of state.Branches ?? []) visit(branch);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(definition as AslMachine);
  return plans;
}

/** Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay fires after 1 ms instead. */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/**
 * Makes a definition safe for the library's timers: a Task without TimeoutSeconds would be killed
 * after 60 s locally (AWS has no default timeout), and a TimeoutSeconds over 24.8 days (a long human
 * wait) would fire at once. Both become MAX_TIMER_SECONDS. Returns a copy.
 */
export function clampTimeouts<T extends object>(definition: T): T {
  const copy = structuredClone(definition) as T & { TimeoutSeconds?: number };
  if (copy.TimeoutSeconds !== undefined)
    copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
  const visit = (machine: AslMachine | undefined) => {
    for (const state of Object.values(machine?.States ?? {})) {
      if (state.Type === 'Task' && state.TimeoutSeconds === undefined && !state.TimeoutSecondsPath) {
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      } else if (state.Type === 'Task' && state.TimeoutSeconds !== undefined) {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
      }
      for (const branch of state.Branches ?? []) visit(branch);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(copy as AslMachine);
  return copy;
}

/**
 * In AWS a `States.Timeout` retrier or catcher also matches a heartbeat timeout; the library knows
 * no heartbeats, so name `States.HeartbeatTimeout` next to every `States.Timeout` of a Task state
 * that has HeartbeatSeconds. Returns a copy; the definition given is left as it is.
 */
export function matchHeartbeatAsTimeout<T extends object>(definition: T): T {
  const copy = structuredClone(definition);
  const visit = (machine: AslMachine | undefined) => {
    for (const state of Object.values(machine?.States ?? {})) {
      if (state.Type === 'Task' && state.HeartbeatSeconds) {
        for (const rule of [...(state.Retry ?? []), ...(state.Catch ?? [])]) {
          const names = rule.ErrorEquals ?? [];
          if (names.includes('States.Timeout') && !names.includes('States.HeartbeatTimeout')) {
            names.push('States.HeartbeatTimeout');
          }
        }
      }
      for (const branch of state.Branches ?? []) visit(branch);
      visit(state.ItemProcessor ?? state.Iterator);
    }
  };
  visit(copy as AslMachine);
  return copy;
}

/** Replaces the token placeholder everywhere in a task's input, inside strings too (States.Format). */
export function replaceToken(value: unknown, placeholder: string, token: string): unknown {
  if (typeof value === 'string') return value.split(placeholder).join(token);
  if (Array.isArray(value)) return value.map((item) => replaceToken(item, placeholder, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, replaceToken(item, placeholder, token)]),
    );
  }
  return value;
}

/** `[{name, value}]` of an ECS container override -> an environment map. */
export function containerEnvironment(input: unknown): Record<string, string> {
  const overrides = (input as { Overrides?: { ContainerOverrides?: { Environment?: unknown }[] } })?.Overrides
    ?.ContainerOverrides?.[0]?.Environment;
  const env: Record<string, string> = {};
  if (!Array.isArray(overrides)) return env;
  // Step Functions' ECS Parameters spell them Name/Value; the ECS API itself name/value.
  for (const entry of overrides as { Name?: unknown; Value?: unknown; name?: unknown; value?: unknown }[]) {
    const name = entry?.Name ?? entry?.name;
    if (typeof name === 'string') env[name] = String(entry.Value ?? entry.value ?? '');
  }
  return env;
}

/**
 * The local name of a function or task family: as given, or taken out of an ARN, so a definition
 * loaded with the AWS substitutions (`arn:aws:lambda:...:function:analyst:live`,
 * `arn:aws:ecs:...:task-definition/coding-worker:3`) still finds its local stand-in.
 */
export function localName(nameOrArn: string): string {
  const fn = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(nameOrArn);
  if (fn) return fn[1]!;
  const task = /^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\/([^:]+)/.exec(nameOrArn);
  if (task) return task[1]!;
  // A family with a revision, `coding-worker:3`.
  return nameOrArn.startsWith('arn:') ? nameOrArn : nameOrArn.split(':')[0]!;
}
