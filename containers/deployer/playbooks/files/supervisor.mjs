// The local runner's process supervisor, copied next to each app by the deploy play. It keeps one
// app running from `current`, restarts it when it crashes (with backoff), and takes over from the
// supervisor of the release before it. Nothing but node's own modules: it runs outside our bundle.
//
//   node supervisor.mjs start <appDir> <port>  launch `run` detached, wait until its app is started
//   node supervisor.mjs run <appDir> <port>    supervise (what `start` launches)
//   node supervisor.mjs stop <appDir>          stop the supervisor and its app
//
// Files in <appDir>: supervisor.pid, app.pid (the app's process group), ready (the pid of the
// supervisor whose app is up), app.log (the app's and the supervisor's output; the rollback play
// reads its tail). The app gets PORT, its shared/.env and DATA_DIR=<appDir>/shared/data.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [command, appDir, port] = process.argv.slice(2);
const file = (name) => join(appDir, name);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message) => console.log(`${new Date().toISOString()} supervisor ${process.pid}: ${message}`);

function readPid(name) {
  try {
    const pid = Number(readFileSync(file(name), 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Our supervisor, not a stranger that got a recycled pid. */
function isSupervisor(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('supervisor.mjs');
  } catch {
    return false;
  }
}

async function waitGone(pid, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (!alive(pid)) return true;
  return !alive(pid);
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A process running in one of this app's releases (so never a stranger with a recycled pid). */
function isApp(pid) {
  try {
    return realpathSync(`/proc/${pid}/cwd`).startsWith(join(realpathSync(appDir), 'releases'));
  } catch {
    return false;
  }
}

/** Stops the supervisor (it stops its app), then makes sure no orphaned app holds the port. */
async function stop() {
  const supervisor = readPid('supervisor.pid');
  if (supervisor && supervisor !== process.pid && alive(supervisor) && isSupervisor(supervisor)) {
    process.kill(supervisor, 'SIGTERM');
    if (!(await waitGone(supervisor, 15_000))) process.kill(supervisor, 'SIGKILL');
  }
  // A supervisor killed with SIGKILL leaves its app running: end the app's group too.
  const app = readPid('app.pid');
  if (app && alive(app) && isApp(app)) {
    killGroup(app, 'SIGTERM');
    if (!(await waitGone(app, 5_000))) killGroup(app, 'SIGKILL');
  }
  for (const name of ['supervisor.pid', 'app.pid', 'ready']) rmSync(file(name), { force: true });
}

/** KEY=VALUE lines; `#` comments and blank lines skipped. The deploy play writes it unquoted. */
function readEnvFile(path) {
  const env = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]] = match[2];
  }
  return env;
}

function startCommand(release) {
  const pkg = JSON.parse(readFileSync(join(release, 'package.json'), 'utf8'));
  if (!pkg.scripts?.start) return [process.execPath, ['src/app.mjs']];
  // npm from beside this node, so the app runs on the node that runs the supervisor.
  const npm = join(dirname(process.execPath), 'npm');
  return [existsSync(npm) ? npm : 'npm', ['start']];
}

/** Whether nothing listens on the port: a probe binds it as the app will (all addresses) and lets go. */
function portFree() {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(Number(port), () => probe.close(() => resolve(true)));
  });
}

async function run() {
  await stop(); // the predecessor: one supervisor per app, so the port is free for ours
  // Still taken once ours is stopped: a stranger holds it, and the smoke test would check that
  // stranger instead of this release. Refuse, so the deploy fails (and rolls back) saying why.
  if (!(await portFree())) {
    log(`port ${port} is in use by another program: not starting the app`);
    process.exit(3);
  }
  writeFileSync(file('supervisor.pid'), `${process.pid}\n`);
  // Resolved once: a later switch of `current` takes effect with the next supervisor, never midway.
  const release = realpathSync(file('current'));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: process.env.LANG ?? 'C.UTF-8',
    NODE_ENV: 'production',
    npm_config_update_notifier: 'false',
    ...readEnvFile(file('shared/.env')),
    PORT: port,
    // The app's own files that outlive its releases (the deploy play makes the directory).
    DATA_DIR: file('shared/data'),
  };
  let child;
  let stopping = false;
  let failures = 0;
  const shutdown = (signal) => {
    stopping = true;
    log(`${signal}: stopping the app`);
    if (!child) process.exit(0);
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  for (;;) {
    const [bin, args] = startCommand(release);
    const started = Date.now();
    // Its own process group, so stopping ends npm and the node it started alike.
    child = spawn(bin, args, { cwd: release, env, detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
    writeFileSync(file('app.pid'), `${child.pid}\n`);
    writeFileSync(file('ready'), `${process.pid}\n`);
    log(`started ${release} (pid ${child.pid}, port ${port})`);
    const code = await new Promise((resolve) => {
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? signal));
      child.on('error', (error) => resolve(error.message));
    });
    if (stopping) {
      for (const name of ['supervisor.pid', 'app.pid', 'ready']) {
        if (readPid(name) === (name === 'app.pid' ? child.pid : process.pid))
          rmSync(file(name), { force: true });
      }
      log('stopped');
      process.exit(0);
    }
    killGroup(child.pid, 'SIGKILL'); // whatever the app left behind
    // Backoff 0.5 s, 1 s, 2 s ... 30 s; an app that ran for a minute starts over at 0.5 s.
    failures = Date.now() - started > 60_000 ? 1 : failures + 1;
    const delay = Math.min(30_000, 500 * 2 ** (failures - 1));
    log(`app exited (${code}); restart in ${delay} ms`);
    await sleep(delay);
    if (stopping) process.exit(0);
  }
}

/** Launches `run` in its own session (it outlives the deploy) and waits for its app to start. */
async function start() {
  const out = openSync(file('app.log'), 'a');
  // Only the basics: the deploy's process environment carries the .env values (DEPLOY_ENV_*).
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
  };
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, 'run', appDir, port], {
    cwd: appDir,
    env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  child.unref();
  for (const end = Date.now() + 60_000; Date.now() < end; await sleep(100)) {
    if (readPid('ready') === child.pid) {
      console.log(`started supervisor ${child.pid}`);
      return;
    }
    if (!alive(child.pid)) break;
  }
  // Its own last word (never the app's output, which may print anything) says why.
  const said = readFileSync(file('app.log'), 'utf8')
    .split('\n')
    .filter((line) => line.includes(` supervisor ${child.pid}: `))
    .at(-1)
    ?.split(`supervisor ${child.pid}: `)[1];
  console.error(
    `supervisor ${child.pid} did not start its app${said ? ` (${said})` : ''}; see ${file('app.log')}`,
  );
  process.exit(1);
}

const commands = { start, run, stop };
if (!commands[command] || !appDir || (command !== 'stop' && !/^\d+$/.test(port ?? ''))) {
  console.error('usage: supervisor.mjs start|run <appDir> <port> | stop <appDir>');
  process.exit(2);
}
await commands[command]();
