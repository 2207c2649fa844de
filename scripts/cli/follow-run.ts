import type { ApiShape } from '../../lambdas/handlers/api/schemas.ts';
import type { RunHistoryEvent } from '../../lambdas/ports/pipelines.ts';
import type { ApiClient } from './api-client.ts';

type Run = ApiShape<'Run'>['run'];

const WAIT_HINTS: Record<string, (run: string) => string> = {
  'Ask the owner what to do': (run) =>
    `  … waiting for your decision: orchestrator approve ${run} (or --give-up), or the buttons in Telegram`,
  'Ask the owner for a secret': () => '  … waiting for a secret: send it to the bot in Telegram when it asks',
};

/**
 * Follows a run's event stream until it ends, printing each step as it is entered and each
 * failure, and returns the run as it ended (with its URL, commit, error).
 */
export async function followRun(
  api: ApiClient,
  runName: string,
  print: (line: string) => void,
): Promise<Run> {
  const started = Date.now();
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)}s`.padStart(4);
  for await (const message of api.events(`/runs/${encodeURIComponent(runName)}/events`)) {
    if (message.event === 'end') break;
    const event = message.data as RunHistoryEvent;
    if (event.type.endsWith('StateEntered') && event.stateName) {
      print(`${elapsed()}  ${event.stateName}`);
      const hint = WAIT_HINTS[event.stateName];
      if (hint) print(hint(runName));
    } else if (/(TaskFailed|LambdaFunctionFailed|TaskTimedOut|ExecutionFailed)$/.test(event.type)) {
      print(
        `${elapsed()}  ! ${event.error ?? event.type}${event.cause ? `: ${event.cause.slice(0, 200)}` : ''}`,
      );
    }
  }
  const { run } = await api.request<ApiShape<'RunDetail'>>('GET', `/runs/${encodeURIComponent(runName)}`);
  return run;
}
