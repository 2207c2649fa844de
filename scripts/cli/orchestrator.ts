import { Command, CommanderError, Option } from 'commander';
import type { ApiShape } from '../../lambdas/handlers/api/schemas.ts';
import { ApiClient } from './api-client.ts';
import { resolveConnection } from './connection.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { followRun } from './follow-run.ts';
import { printTable } from './output.ts';

/**
 * `orchestrator`: the admin API from a terminal. The local stack by default (its URL and the local
 * admin's key from its data dir), a deployed stack with --url/--key or ORCHESTRATOR_URL and
 * ORCHESTRATOR_API_KEY. Results go to stdout (`--json`: one JSON document), progress and errors to
 * stderr; exit codes in exit-codes.ts.
 */
const program = new Command('orchestrator')
  .description('Drive the codegen orchestrator: projects, builds, deploys, runs, usage and API keys.')
  .option('--url <url>', 'API base URL (default: ORCHESTRATOR_URL, else the local stack)')
  .option('--key <key>', 'API key (default: ORCHESTRATOR_API_KEY, else the local admin key)')
  .option('--json', 'print one JSON document (for scripts) instead of text')
  .showHelpAfterError()
  .exitOverride();

interface Globals {
  url?: string;
  key?: string;
  json?: boolean;
}

const globals = () => program.opts<Globals>();
const client = () => new ApiClient(resolveConnection(globals(), process.env));
const out = (json: unknown, text: string) => {
  process.stdout.write(globals().json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
};
const enc = encodeURIComponent;

program
  .command('new')
  .description('create a project from a description of what to build')
  .argument('<description...>', 'what to build, e.g. "a quote bot with a quote of the day"')
  .option('--name <name>', 'project name (default: made from the description)')
  .action(async (words: string[], options: { name?: string }) => {
    const { project } = await client().request<ApiShape<'Project'>>('POST', '/projects', {
      description: words.join(' '),
      ...(options.name ? { name: options.name } : {}),
    });
    out(
      { project },
      `Created project ${project.name} (id ${project.id}). Next: orchestrator build ${project.name}`,
    );
  });

program
  .command('status')
  .description('your projects, or one project with its latest build and deploy')
  .argument('[project]', 'project id or name')
  .option('--all', 'every user’s projects (admins)')
  .action(async (project: string | undefined, options: { all?: boolean }) => {
    const api = client();
    if (!project) {
      const list = await api.request<ApiShape<'ProjectList'>>(
        'GET',
        `/projects?scope=${options.all ? 'all' : 'mine'}`,
      );
      out(list, printTable(list.projects, ['name', 'id', 'status', 'ownerId']));
      return;
    }
    const status = await api.request<ApiShape<'ProjectStatus'>>('GET', `/projects/${enc(project)}`);
    const line = (label: string, run?: ApiShape<'Run'>['run']) =>
      run
        ? `${label}: ${run.runName} ${run.status}${run.step ? ` at "${run.step}"` : ''}${run.url ? ` (${run.url})` : ''}`
        : `${label}: none yet`;
    out(
      status,
      [
        `${status.project.name} (id ${status.project.id}): ${status.project.status}`,
        `secrets: ${status.project.secretKeys.join(', ') || 'none'}`,
        line('build', status.build),
        line('deploy', status.deploy),
        ...(status.allocation ? [`runs on ${status.allocation.host}:${status.allocation.port}`] : []),
      ].join('\n'),
    );
  });

for (const [name, path, description] of [
  ['build', 'builds', 'build (or change) a project with the engineering pipeline, and follow it'],
  ['deploy', 'deploys', 'deploy a project’s last tested build, and follow it'],
] as const) {
  const command = program
    .command(name)
    .description(description)
    .argument('<project>', 'project id or name')
    .option('--no-follow', 'start it and return at once');
  if (name === 'build') command.option('--request <change>', 'the change to make (later builds)');
  command.action(async (project: string, options: { follow: boolean; request?: string }) => {
    const api = client();
    const { run } = await api.request<ApiShape<'Run'>>(
      'POST',
      `/projects/${enc(project)}/${path}`,
      options.request ? { request: options.request } : {},
    );
    if (!options.follow) {
      out({ run }, `Started ${run.runName}. Follow it: orchestrator runs ${project}`);
      return;
    }
    process.stderr.write(`Started ${run.runName}\n`);
    const final = await followRun(api, run.runName, (line) => process.stderr.write(`${line}\n`));
    // A run given up by its owner (or rolled back) ends without error but did not do its job.
    const done =
      final.status === 'SUCCEEDED' && (final.outcome === undefined || final.outcome === 'succeeded');
    const summary = done
      ? name === 'deploy'
        ? `Deployed ${project}${final.url ? `: live at ${final.url}` : ''}`
        : `Built ${project}${final.commit ? ` at ${final.commit.slice(0, 7)}` : ''}${final.htmlUrl ? ` (${final.htmlUrl})` : ''}`
      : `${final.runName} ${final.outcome ?? final.status}${final.error ? `: ${final.error}` : ''}${final.cause ? ` (${final.cause})` : ''}`;
    out({ run: final }, summary);
    if (!done) process.exitCode = EXIT.failed;
  });
}

program
  .command('runs')
  .description('runs of your projects (admins: all), newest first')
  .argument('[project]', 'only this project’s')
  .option('--limit <n>', 'at most n runs', '20')
  .action(async (project: string | undefined, options: { limit: string }) => {
    const query = new URLSearchParams({ limit: options.limit, ...(project ? { project } : {}) });
    const list = await client().request<ApiShape<'RunList'>>('GET', `/runs?${query}`);
    out(list, printTable(list.runs, ['runName', 'status', 'step', 'startedAt', 'url']));
  });

program
  .command('approve')
  .description('answer a run that waits for its owner after three red attempts')
  .argument('<run>', 'run name, e.g. eng-quote-bot-1a2b3c-1')
  .option('--give-up', 'give up instead of trying again')
  .action(async (run: string, options: { giveUp?: boolean }) => {
    const decision = options.giveUp ? 'give_up' : 'try_again';
    const answer = await client().request<ApiShape<'Decision'>>('POST', `/runs/${enc(run)}/approve`, {
      decision,
    });
    out(answer, `${run}: ${decision === 'give_up' ? 'given up' : 'trying again'}`);
  });

program
  .command('stop')
  .description('stop a running run')
  .argument('<run>', 'run name')
  .action(async (run: string) => {
    const answer = await client().request<ApiShape<'Run'>>('POST', `/runs/${enc(run)}/stop`);
    out(answer, `${run}: stopping`);
  });

program
  .command('usage')
  .description('model tokens and estimated cost this month')
  .option('--all', 'everyone’s (admins)')
  .addOption(new Option('--period <period>', 'month or all time').choices(['month', 'all']).default('month'))
  .action(async (options: { all?: boolean; period: string }) => {
    const usage = await client().request<ApiShape<'Usage'>>(
      'GET',
      `/usage?scope=${options.all ? 'all' : 'mine'}&period=${options.period}`,
    );
    const t = usage.totals;
    out(
      usage,
      `${t.calls} model calls, ${t.inputTokens} input + ${t.outputTokens} output tokens, about $${(t.costMicros / 1e6).toFixed(4)}`,
    );
  });

const keys = program.command('keys').description('API keys: list (default), create, rotate, revoke');
keys
  .command('list', { isDefault: true })
  .description('your keys (admins: everyone’s)')
  .action(async () => {
    const list = await client().request<ApiShape<'KeyList'>>('GET', '/keys');
    out(list, printTable(list.keys, ['id', 'name', 'ownerId', 'createdAt', 'revokedAt']));
  });
keys
  .command('create')
  .description('create a key for a person (admins); its secret is printed once')
  .argument('<name>', 'what the key is for')
  .option('--owner <userId>', 'Telegram user id of its owner (default: you)')
  .action(async (name: string, options: { owner?: string }) => {
    const issued = await client().request<ApiShape<'IssuedKey'>>('POST', '/keys', {
      name,
      ...(options.owner ? { ownerId: Number(options.owner) } : {}),
    });
    out(
      issued,
      `Key ${issued.key.id} for user ${issued.key.ownerId} (shown once, store it now):\n${issued.secret}`,
    );
  });
keys
  .command('rotate')
  .description('a new secret for a key; the old one stops working (admins)')
  .argument('<id>', 'key id')
  .action(async (id: string) => {
    const issued = await client().request<ApiShape<'IssuedKey'>>('POST', `/keys/${enc(id)}/rotate`);
    out(issued, `Key ${id} rotated (shown once, store it now):\n${issued.secret}`);
  });
keys
  .command('revoke')
  .description('revoke a key (admins)')
  .argument('<id>', 'key id')
  .action(async (id: string) => {
    const revoked = await client().request<ApiShape<'Key'>>('DELETE', `/keys/${enc(id)}`);
    out(revoked, `Key ${id} revoked`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (error instanceof CliError) {
    process.stderr.write(`orchestrator: ${error.message}\n`);
    if (globals().json)
      process.stdout.write(`${JSON.stringify({ error: error.message, exitCode: error.exitCode })}\n`);
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`orchestrator: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = EXIT.unavailable;
  }
}
