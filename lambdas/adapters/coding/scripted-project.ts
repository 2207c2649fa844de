import type { EnvVariable } from './env-contract-rules.ts';

/**
 * The files of the small Node.js project the scripted engine writes: an HTTP server, node:test
 * tests, a lint script that needs nothing but node, a README and the env contract. Everything
 * runs with no network and no `npm install`. Pure: the same input gives byte-identical files.
 */
export interface ProjectEndpoint {
  /** URL path segment, e.g. `forecast` for `GET /forecast`. */
  keyword: string;
  /** The user story it comes from. */
  story: string;
}

export interface ProjectInput {
  projectName: string;
  packageName: string;
  endpoints: ProjectEndpoint[];
  env: EnvVariable[];
  /** The fault setting: /health answers 500, so the project's own tests fail. */
  broken: boolean;
  /**
   * The other fault setting: tests pass, but started as a program it exits at once (a start-up
   * bug no unit test sees), so only a deploy's smoke test catches it.
   */
  brokenStart?: boolean;
  /**
   * The third: tests pass and it starts healthy, but a corrupt state file in DATA_DIR (which
   * outlives releases) makes /health answer 500 and the log print its whole configuration,
   * secrets included; a redeploy of the same release cannot help. Without it the service keeps
   * the unreadable file aside and starts with a fresh state.
   */
  stateFault?: boolean;
}

export function projectFiles(input: ProjectInput): Record<string, string> {
  return {
    'package.json': `${JSON.stringify(packageJson(input), null, 2)}\n`,
    'src/app.mjs': appSource(input),
    'test/app.test.mjs': appTest(input),
    'test/env-contract.test.mjs': ENV_CONTRACT_TEST,
    'scripts/lint.mjs': LINT_SCRIPT,
    'env.contract.json': `${JSON.stringify(
      input.env.map(({ name, kind, default: value }) => ({
        name,
        kind,
        ...(value ? { default: value } : {}),
      })),
      null,
      2,
    )}\n`,
    '.env.example': envExample(input.env),
    '.gitignore': 'node_modules/\n.env\n',
    'README.md': readme(input),
  };
}

function packageJson({ packageName }: ProjectInput) {
  return {
    name: packageName,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=20' },
    scripts: { start: 'node src/app.mjs', test: 'node --test', lint: 'node scripts/lint.mjs' },
  };
}

function appSource({ projectName, endpoints, env, broken, brokenStart, stateFault }: ProjectInput): string {
  const startServer = brokenStart
    ? `  // Reads a file the release does not ship: fine in tests, fatal on start.
  throw new Error('Cannot start: config/production.json is missing');`
    : `  const port = Number(process.env.PORT ?? 3000);
  createApp().listen(port, () => console.log(\`listening on \${port}\`));`;
  const routes = Object.fromEntries(
    endpoints.map(({ keyword, story }) => [
      `/${keyword}`,
      { project: projectName, endpoint: keyword, story },
    ]),
  );
  const health = broken
    ? `send(response, 500, { status: 'broken' })`
    : `loadState().ok ? send(response, 200, { status: 'ok' }) : send(response, 500, { status: 'state_unreadable' })`;
  const unreadable = stateFault
    ? `    console.error(\`state \${STATE_FILE} is unreadable (\${error.message}); config: \${JSON.stringify(config())}\`);
    return { ok: false };`
    : `    renameSync(STATE_FILE, \`\${STATE_FILE}.corrupt\`);
    console.warn(\`state \${STATE_FILE} was unreadable (\${error.message}): kept as state.json.corrupt, starting fresh\`);
    return { ok: true, state: { starts: 0 } };`;
  const start = `  const loaded = loadState();
  if (STATE_FILE && loaded.ok) writeFileSync(STATE_FILE, JSON.stringify({ starts: (loaded.state.starts ?? 0) + 1 }));
${startServer}`;
  return `import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// What the service remembers across restarts and releases, in DATA_DIR (the server keeps it
// between releases); nothing when DATA_DIR is unset (the tests).
const STATE_FILE = process.env.DATA_DIR ? join(process.env.DATA_DIR, 'state.json') : undefined;
const CONFIG_NAMES = ${JSON.stringify(env.map((variable) => variable.name))};

function config() {
  return Object.fromEntries(CONFIG_NAMES.map((name) => [name, process.env[name] ?? '']));
}

function loadState() {
  if (!STATE_FILE) return { ok: true, state: { starts: 0 } };
  let text;
  try {
    text = readFileSync(STATE_FILE, 'utf8');
  } catch {
    return { ok: true, state: { starts: 0 } };
  }
  try {
    return { ok: true, state: JSON.parse(text) };
  } catch (error) {
${unreadable}
  }
}

// One endpoint per user story of the spec; each answers what it is for.
const ROUTES = ${JSON.stringify(routes, null, 2)};

export function createApp() {
  return createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (request.method !== 'GET') return send(response, 405, { error: 'method_not_allowed' });
    if (pathname === '/health') return ${health};
    const route = ROUTES[pathname];
    if (route) return send(response, 200, route);
    return send(response, 404, { error: 'not_found' });
  });
}

function send(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

// Started as a program (npm start), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
${start}
}
`;
}

function appTest({ endpoints }: ProjectInput): string {
  const endpointTests = endpoints
    .map(
      ({ keyword }) => `
test('GET /${keyword} answers its story', async () => {
  const response = await fetch(\`\${base}/${keyword}\`);
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.endpoint, '${keyword}');
  assert.ok(body.story.length > 0);
});
`,
    )
    .join('');
  return `import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApp } from '../src/app.mjs';

let server;
let base;

before(async () => {
  server = createApp();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = \`http://127.0.0.1:\${server.address().port}\`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('GET /health answers ok', async () => {
  const response = await fetch(\`\${base}/health\`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});
${endpointTests}
test('an unknown path is 404', async () => {
  const response = await fetch(\`\${base}/no-such-page\`);
  assert.equal(response.status, 404);
});
`;
}

const ENV_CONTRACT_TEST = `import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('.env.example names every variable of the env contract', () => {
  const contract = JSON.parse(readFileSync('env.contract.json', 'utf8'));
  const example = readFileSync('.env.example', 'utf8');
  for (const variable of contract) {
    assert.match(variable.name, /^[A-Z][A-Z0-9_]*$/);
    assert.ok(['config', 'secret'].includes(variable.kind), variable.name);
    assert.ok(example.includes(\`\${variable.name}=\`), \`\${variable.name} missing from .env.example\`);
    if (variable.kind === 'secret') assert.equal(variable.default, undefined, \`\${variable.name} has a default\`);
  }
});
`;

const LINT_SCRIPT = `// A lint that needs only node: every .mjs file parses (node --check), JSON files parse, and no
// source line ends in whitespace. Exits 1 with one line per problem.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const problems = [];

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

const files = [...['src', 'test', 'scripts'].flatMap(walk), 'package.json', 'env.contract.json', 'README.md'];
for (const file of files.filter((path) => existsSync(path))) {
  const text = readFileSync(file, 'utf8');
  text.split('\\n').forEach((line, index) => {
    if (/[ \\t]+$/.test(line)) problems.push(\`\${file}:\${index + 1}: trailing whitespace\`);
  });
  if (file.endsWith('.json')) {
    try {
      JSON.parse(text);
    } catch (error) {
      problems.push(\`\${file}: \${error.message}\`);
    }
  }
  if (file.endsWith('.mjs')) {
    const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
    if (check.status !== 0) problems.push(\`\${file}: \${check.stderr.trim()}\`);
  }
}

for (const problem of problems) console.error(problem);
console.log(\`lint: \${files.length} files, \${problems.length} problems\`);
process.exitCode = problems.length === 0 ? 0 : 1;
`;

function envExample(env: EnvVariable[]): string {
  return env
    .map(
      (variable) =>
        `# ${variable.description} (${variable.kind})\n${variable.name}=${variable.default ?? ''}\n`,
    )
    .join('');
}

function readme({ projectName, endpoints, env }: ProjectInput): string {
  const routes = endpoints.map(({ keyword, story }) => `- \`GET /${keyword}\`: ${story}`).join('\n');
  const variables = env
    .map(
      ({ name, kind, default: value, description }) =>
        `| \`${name}\` | ${kind} | ${value ?? ''} | ${description} |`,
    )
    .join('\n');
  return `# ${projectName}

A small HTTP service built from the project's spec. It needs Node.js 20 or newer and nothing else:
no dependencies to install.

## Endpoints

- \`GET /health\`: \`{"status":"ok"}\` when the service is up
${routes}

## Run

\`\`\`sh
cp .env.example .env   # then fill in the secrets
PORT=3000 npm start
npm test               # node:test, starts the server on a free port
npm run lint
\`\`\`

## Environment

Listed in \`env.contract.json\`: \`config\` values have a default, \`secret\` values never do and are
not committed.

| Name | Kind | Default | What |
| --- | --- | --- | --- |
${variables}
`;
}
