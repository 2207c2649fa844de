/**
 * `npm run runs [-- <run name>] [--endpoint URL | --state-machine-arn ARN]`: the pipeline runs as an
 * operator reads them in the Step Functions console. Without a run name: the engineering runs,
 * newest first, with status and duration. With one: its event history, state by state.
 * Locally it talks to the running `npm start` (its Step Functions API, LOCAL_SFN_PORT); with
 * `--state-machine-arn` to a deployed stack, with your AWS credentials.
 */
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsPipelines } from '../lambdas/adapters/aws/step-functions-pipelines.ts';
import { localStateMachineArn } from '../lambdas/adapters/local/step-functions/run-store.ts';
import type { RunHistoryEvent, RunSummary } from '../lambdas/ports/pipelines.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    endpoint: { type: 'string' },
    'state-machine-arn': { type: 'string' },
  },
});

const deployed = values['state-machine-arn'];
const endpoint = deployed
  ? undefined
  : (values.endpoint ?? `http://127.0.0.1:${process.env.LOCAL_SFN_PORT ?? 3001}`);
if (!deployed) {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
const pipelines = new StepFunctionsPipelines({
  stateMachineArns: { engineering: deployed ?? localStateMachineArn('engineering'), devops: '' },
  client: new SFNClient(endpoint ? { endpoint } : {}),
});

const seconds = (run: RunSummary) =>
  Math.round(((run.stoppedAt ? Date.parse(run.stoppedAt) : Date.now()) - Date.parse(run.startedAt)) / 1000);

function printRuns(runs: RunSummary[]): void {
  if (runs.length === 0) {
    console.log('No runs yet.');
    return;
  }
  const rows = runs.map((r) => [r.name, r.status, r.startedAt, `${seconds(r)} s`]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]?.length ?? 0), 4));
  for (const row of [['NAME', 'STATUS', 'STARTED', 'TOOK'], ...rows]) {
    console.log(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  '));
  }
}

function printHistory(events: RunHistoryEvent[]): void {
  const start = Date.parse(events[0]?.timestamp ?? new Date().toISOString());
  for (const e of events) {
    const at = `+${((Date.parse(e.timestamp) - start) / 1000).toFixed(1)}s`.padStart(9);
    const detail = e.error ? `${e.error}${e.cause ? `: ${e.cause.split('\n')[0]?.slice(0, 120)}` : ''}` : '';
    console.log(
      `${String(e.id).padStart(4)} ${at}  ${e.type.padEnd(26)} ${e.stateName ?? ''}  ${detail}`.trimEnd(),
    );
  }
}

async function main(): Promise<void> {
  const [name] = positionals;
  const runs = await pipelines.list('engineering');
  if (!name) return printRuns(runs);
  const run = runs.find((r) => r.name === name || r.runId === name);
  if (!run) throw new Error(`No run named ${name}`);
  printRuns([run]);
  console.log('');
  printHistory(await pipelines.history(run.runId));
}

main().catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  console.error(
    /ECONNREFUSED|fetch failed/.test(reason)
      ? `Cannot reach the local Step Functions API at ${endpoint}: is npm start running?`
      : reason,
  );
  process.exit(1);
});
