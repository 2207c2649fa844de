/**
 * Named points in the agent loop where a crash can be injected, to prove in tests that killing
 * the process anywhere loses nothing and repeats no tool call. Configured by FAULT_INJECTION
 * (`<point>` or `<point>:<tool name>`); never set in a deployment. Each fault fires once per
 * process, as a crash would.
 */
export type CrashPoint =
  | 'after-model-call'
  | 'after-tool-started'
  | 'after-tool-executed'
  | 'after-tool-recorded';

export class InjectedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`Injected crash at ${point}`);
    this.name = 'InjectedCrash';
  }
}

export interface CrashPoints {
  check(point: CrashPoint, toolName?: string): void;
}

export const NO_CRASHES: CrashPoints = { check: () => undefined };

/**
 * @param crash how to crash; by default an InjectedCrash is thrown. The local stack can pass a
 * real process kill instead, to prove recovery from a dead process.
 */
export function crashPointsFrom(spec: string | undefined, crash?: (point: CrashPoint) => void): CrashPoints {
  if (!spec) return NO_CRASHES;
  const [point, tool] = spec.split(':', 2) as [CrashPoint, string | undefined];
  let fired = false;
  return {
    check(at, toolName) {
      if (fired || at !== point || (tool && tool !== toolName)) return;
      fired = true;
      crash?.(at);
      throw new InjectedCrash(at);
    },
  };
}
