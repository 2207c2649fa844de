import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeysOf } from '../../lambdas/app/admin-api-wiring.ts';
import { UserDirectory } from '../../lambdas/domain/access/user-directory.ts';
import type { ApiKeys } from '../../lambdas/domain/api-keys/api-keys.ts';
import { API_ROUTES } from '../../lambdas/handlers/api/routes.ts';
import { API_SCHEMAS } from '../../lambdas/handlers/api/schemas.ts';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const ALICE = 2002;
const BOB = 3003;
const ADMIN = { userId: ADMIN_ID, role: 'admin' as const };

/** A valid body for each route that takes one, so only the key decides the answer. */
const BODIES: Record<string, unknown> = {
  'POST /projects': { description: 'a quote bot with a quote of the day' },
  'POST /projects/{project}/builds': {},
  'POST /runs/{run}/approve': { decision: 'give_up' },
  'POST /keys': { name: 'another', ownerId: ALICE },
};

/**
 * The admin API on the local stack, through HTTP as a client sees it: keys, the per-key rate
 * limit, validation, tenancy, and the OpenAPI document. A low rate (1 token per 20 s, 40 at once)
 * so the limit can be reached on purpose; each test uses keys of its own.
 */
describe('admin API on the local stack', () => {
  let h: StackHarness;
  let keys: ApiKeys;
  let adminKey: string;
  let projectId: string;
  let keyId: string;

  const call = (method: string, path: string, key?: string, body?: unknown, raw?: string) =>
    fetch(`${h.stack.apiUrl}${path}`, {
      method,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), 'content-type': 'application/json' },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const pathOf = (template: string) =>
    template.replace('{project}', projectId).replace('{run}', `eng-${projectId}-1`).replace('{key}', keyId);
  const everyRoute = API_ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const);
  const newKey = async (ownerId: number, name: string) =>
    (await keys.create(ADMIN, { ownerId, name })).secret;

  /**
   * Every table as stored (a digest, to keep failures short), to show a refused request changed
   * nothing. `withoutRates`: leaves out the rate buckets, which an admitted request spends.
   */
  async function snapshot(withoutRates = false): Promise<string> {
    const tables: TableName[] = ['users', 'sessions', 'projects', 'usage', 'checkpoints', 'dedup'];
    const scans = await Promise.all(tables.map((t) => h.scan(t)));
    const kept = scans.map((items) =>
      items
        .filter((i) => !(withoutRates && String(i.pk).startsWith('RATE#')))
        .map((i) => JSON.stringify(i))
        .sort(),
    );
    return createHash('sha256').update(JSON.stringify(kept)).digest('hex');
  }

  async function expectProblem(response: Response, status: number): Promise<Record<string, unknown>> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status, type: expect.stringMatching(/^urn:orchestrator:problem:/) });
    expect(JSON.stringify(body)).not.toMatch(/\bat \S+\.ts|Error:|arn:aws/);
    return body;
  }

  beforeAll(async () => {
    h = await StackHarness.start({ API_RATE_LIMIT_PER_SECOND: '0.05', API_RATE_LIMIT_BURST: '40' });
    const directory = new UserDirectory(h.stack.runtime.store);
    for (const userId of [ALICE, BOB]) {
      await directory.admit({ userId, admittedBy: ADMIN_ID, admittedAt: new Date().toISOString() });
    }
    keys = apiKeysOf(h.stack.runtime);
    adminKey = await newKey(ADMIN_ID, 'test admin');
    const created = await call('POST', '/projects', adminKey, {
      description: 'a quote bot with a quote of the day',
    });
    projectId = ((await created.json()) as { project: { id: string } }).project.id;
    keyId = (await keys.create(ADMIN, { ownerId: ALICE, name: 'target' })).key.id;
  }, 60_000);

  afterAll(async () => {
    await h?.dispose();
  });

  it('writes the local admin’s key to a 0600 file in the data dir, and it works', async () => {
    const { readFile, stat } = await import('node:fs/promises');
    const file = h.stack.apiKeyFile ?? '';
    expect(file.startsWith(h.dataDir)).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const response = await call('GET', '/me', (await readFile(file, 'utf8')).trim());
    expect(API_SCHEMAS.Me.parse(await response.json())).toMatchObject({ userId: ADMIN_ID, role: 'admin' });
  });

  it.each(everyRoute)(
    '%s refuses a missing, wrong or revoked key and changes nothing',
    async (name, route) => {
      // Prepare
      const revoked = await newKey(ADMIN_ID, 'to revoke');
      await keys.revoke(ADMIN, revoked.slice(4, 14));
      const wrong = `${adminKey.slice(0, 15)}${'x'.repeat(43)}`;
      const before = await snapshot();

      // Act
      const answers = [];
      for (const key of [undefined, 'not-a-key', wrong, revoked]) {
        answers.push(await call(route.method, pathOf(route.path), key, BODIES[name]));
      }

      // Assess
      await expectProblem(answers[0]!, 401);
      await expectProblem(answers[1]!, 401);
      await expectProblem(answers[2]!, 401);
      expect((await expectProblem(answers[3]!, 403)).detail).toMatch(/revoked/);
      expect(await snapshot()).toBe(before);
    },
  );

  it('refuses every endpoint over the key’s rate with 429 and Retry-After, and changes nothing', async () => {
    // Prepare: spend the bucket
    const key = await newKey(ADMIN_ID, 'throttled');
    let spent = 0;
    while ((await call('GET', '/me', key)).status === 200) spent++;
    expect(spent).toBeGreaterThanOrEqual(39);
    const before = await snapshot();

    // Act / Assess
    for (const [name, route] of everyRoute) {
      const response = await call(route.method, pathOf(route.path), key, BODIES[name]);
      const body = await expectProblem(response, 429);
      expect(Number(response.headers.get('retry-after')), name).toBeGreaterThan(0);
      expect(body.retryAfterSeconds).toBe(Number(response.headers.get('retry-after')));
    }
    expect(await snapshot()).toBe(before);
    // Another key is not affected.
    expect((await call('GET', '/me', adminKey)).status).toBe(200);
  });

  it.each(API_ROUTES.filter((r) => r.body).map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s answers a malformed body with a problem document and changes nothing',
    async (_name, route) => {
      const key = await newKey(ADMIN_ID, 'bodies');
      const before = await snapshot(true);

      const broken = await call(route.method, pathOf(route.path), key, undefined, '{"description": ');
      const wrongShape = await call(route.method, pathOf(route.path), key, {
        description: 7,
        decision: 'maybe',
        name: '',
        deployAfter: 'yes',
      });

      expect((await expectProblem(broken, 400)).detail).toMatch(/not valid JSON/);
      const problem = await expectProblem(wrongShape, 400);
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^body/) })]),
      );
      expect(await snapshot(true)).toBe(before);
    },
  );

  it('shows a user’s key only its owner’s projects, and refuses another’s with 403', async () => {
    // Prepare
    const alice = await newKey(ALICE, 'alice');
    const bob = await newKey(BOB, 'bob');
    const created = await call('POST', '/projects', alice, {
      description: 'a poem site with a poem of the week',
      name: 'poems',
    });
    const { project } = API_SCHEMAS.Project.parse(await created.json());

    // Act / Assess
    const bobs = API_SCHEMAS.ProjectList.parse(await (await call('GET', '/projects?scope=all', bob)).json());
    expect(bobs.projects.map((p) => p.id)).not.toContain(project.id);
    for (const [method, path] of [
      ['GET', `/projects/${project.id}`],
      ['GET', `/projects/${project.id}/secrets`],
      ['GET', `/runs?project=${project.id}`],
      ['POST', `/projects/${project.id}/deploys`],
      ['GET', `/runs/eng-${project.id}-1`],
      ['GET', '/servers'],
      ['GET', '/users'],
      ['GET', '/usage?scope=all'],
      ['POST', '/keys'],
    ] as const) {
      await expectProblem(await call(method, path, bob, method === 'POST' ? { name: 'x' } : undefined), 403);
    }
    // A name resolves among the caller's own projects only.
    await expectProblem(await call('GET', '/projects/poems', bob), 404);
    expect((await call('GET', '/projects/poems', alice)).status).toBe(200);
    const all = API_SCHEMAS.ProjectList.parse(
      await (await call('GET', '/projects?scope=all', adminKey)).json(),
    );
    expect(all.projects.map((p) => p.id)).toContain(project.id);
  });

  it('creates, rotates and revokes keys through the API; only the hash is stored', async () => {
    const created = await call('POST', '/keys', adminKey, { name: 'ci', ownerId: ALICE });
    expect(created.status).toBe(201);
    const issued = API_SCHEMAS.IssuedKey.parse(await created.json());
    expect((await call('GET', '/me', issued.secret)).status).toBe(200);
    expect(JSON.stringify(await h.scan('users'))).not.toContain(issued.secret);

    const rotated = API_SCHEMAS.IssuedKey.parse(
      await (await call('POST', `/keys/${issued.key.id}/rotate`, adminKey)).json(),
    );
    await expectProblem(await call('GET', '/me', issued.secret), 401);
    expect((await call('GET', '/me', rotated.secret)).status).toBe(200);

    expect((await call('DELETE', `/keys/${issued.key.id}`, adminKey)).status).toBe(200);
    await expectProblem(await call('GET', '/me', rotated.secret), 403);
    const listed = API_SCHEMAS.KeyList.parse(await (await call('GET', '/keys', adminKey)).json());
    expect(listed.keys.find((k) => k.id === issued.key.id)?.revokedAt).toBeDefined();
  });

  it('gives an admin a key in the chat, kept out of the transcript, and revokes it there', async () => {
    // Prepare
    const texts = () => h.replies(ADMIN_ID).map((r) => r.text);
    const waitFor = async (pattern: RegExp) => {
      const deadline = Date.now() + 20_000;
      while (!texts().some((t) => pattern.test(t))) {
        if (Date.now() > deadline)
          throw new Error(`no reply matching ${pattern}: ${JSON.stringify(texts())}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return texts().find((t) => pattern.test(t)) ?? '';
    };

    // Act: create it
    await h.say(ADMIN_ID, 'create api key phone');
    const shown = await waitFor(/oak_[0-9a-f]{10}_/);
    await waitFor(/^Created API key [0-9a-f]{10} \("phone"/);
    const secret = /oak_[0-9a-f]{10}_[A-Za-z0-9_-]{43}/.exec(shown)?.[0] ?? '';
    await h.settle();

    // Assess: it works, and no table (transcript, checkpoints, journal, keys) holds it
    expect((await call('GET', '/me', secret)).status).toBe(200);
    for (const table of ['checkpoints', 'sessions', 'users', 'projects', 'dedup'] as const) {
      expect(JSON.stringify(await h.scan(table)), table).not.toContain(secret.slice(15));
    }

    // Act: revoke it, confirming with the button
    await h.say(ADMIN_ID, `revoke api key ${secret.slice(4, 14)}`);
    await waitFor(/^Revoke API key/);
    await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
    await waitFor(/^Revoked API key/);

    // Assess
    await expectProblem(await call('GET', '/me', secret), 403);
  });

  it('starts a build, streams its progress, stops it, and refuses to stop it twice', async () => {
    // Prepare
    const key = await newKey(ADMIN_ID, 'runs');
    const created = await call('POST', '/projects', key, { description: 'a haiku api', name: 'haiku' });
    const { project } = API_SCHEMAS.Project.parse(await created.json());

    // Act
    const started = await call('POST', `/projects/${project.id}/builds`, key, {});
    const { run } = API_SCHEMAS.Run.parse(await started.json());
    const stream = await fetch(`${h.stack.apiUrl}/runs/${run.runName}/events`, {
      headers: { authorization: `Bearer ${key}` },
    });
    const reader = stream.body?.getReader();
    const first = new TextDecoder().decode((await reader?.read())?.value);
    const stopped = await call('POST', `/runs/${run.runName}/stop`, key);
    let rest = '';
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      rest += new TextDecoder().decode(chunk.value);
    }
    const again = await call('POST', `/runs/${run.runName}/stop`, key);

    // Assess
    expect(started.status).toBe(202);
    expect(run).toMatchObject({ pipeline: 'engineering', status: 'RUNNING', projectName: 'haiku' });
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect(first + rest).toMatch(/^id: 1\nevent: history\ndata: \{"id":1,/m);
    expect(rest).toMatch(/event: end\ndata: \{"status":"ABORTED"/);
    expect(stopped.status).toBe(202);
    await expectProblem(again, 409);
    const detail = API_SCHEMAS.RunDetail.parse(await (await call('GET', `/runs/${run.runName}`, key)).json());
    expect(detail.run.status).toBe('ABORTED');
    expect(detail.events[0]?.type).toBe('ExecutionStarted');
  });

  it('serves its OpenAPI 3.1 document without a key, with exactly the routes it serves', async () => {
    const response = await fetch(`${h.stack.apiUrl}/openapi.json`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(documented.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    // And each GET answers in the documented shape.
    const key = await newKey(ADMIN_ID, 'shapes');
    const shapes: Array<[string, keyof typeof API_SCHEMAS]> = [
      ['/me', 'Me'],
      ['/users', 'UserList'],
      ['/projects', 'ProjectList'],
      [`/projects/${projectId}`, 'ProjectStatus'],
      [`/projects/${projectId}/secrets`, 'SecretNames'],
      ['/runs', 'RunList'],
      ['/servers', 'ServerList'],
      ['/bot-pool', 'BotPool'],
      ['/usage', 'Usage'],
      ['/keys', 'KeyList'],
    ];
    for (const [path, schema] of shapes) {
      const answer = await call('GET', path, key);
      expect(answer.status, path).toBe(200);
      expect(API_SCHEMAS[schema].safeParse(await answer.json()).success, path).toBe(true);
    }
  });
});
