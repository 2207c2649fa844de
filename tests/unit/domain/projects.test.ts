import { beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../../../lambdas/domain/access/access-policy.ts';
import { DomainError } from '../../../lambdas/domain/errors.ts';
import {
  normaliseProjectName,
  type Project,
  projectIdFor,
  validateDescription,
  validateSecretKey,
} from '../../../lambdas/domain/projects/project.ts';
import { ProjectRepository } from '../../../lambdas/domain/projects/project-repository.ts';
import { ProjectService } from '../../../lambdas/domain/projects/project-service.ts';
import { ManualClock, MemoryStore } from '../../support/memory-store.ts';

const alice: Principal = { userId: 2002, role: 'user' };
const bob: Principal = { userId: 3003, role: 'user' };
const admin: Principal = { userId: 1001, role: 'admin' };

let clock: ManualClock;
let store: MemoryStore;
let projects: ProjectService;

beforeEach(() => {
  clock = new ManualClock();
  store = new MemoryStore({ now: clock.now });
  projects = new ProjectService(new ProjectRepository(store), () => new Date(clock.now() * 1000));
});

async function create(owner: Principal, name: string, key = `key-${owner.userId}-${name}`): Promise<Project> {
  clock.advance(1);
  return projects.create(owner, { name, description: `the ${name}` }, key);
}

const names = (list: Project[]) => list.map((p) => `${p.ownerId}/${p.name}`);

describe('ProjectService: creating', () => {
  it('stores a draft project owned by its creator with a normalised name', async () => {
    // Act
    const project = await projects.create(
      alice,
      { name: 'Weather Bot', description: '  daily forecasts  ' },
      'toolu_1',
    );

    // Assess
    expect(project).toEqual({
      id: projectIdFor('weather-bot', `${alice.userId}:toolu_1`),
      ownerId: alice.userId,
      name: 'weather-bot',
      description: 'daily forecasts',
      status: 'draft',
      secretKeys: [],
      createdAt: new Date(clock.now() * 1000).toISOString(),
      updatedAt: new Date(clock.now() * 1000).toISOString(),
    });
    expect(project.id).toMatch(/^weather-bot-[0-9a-f]{6}$/);
    expect(await projects.get(alice, project.id)).toEqual(project);
  });

  it('is idempotent by key: a repeated create returns the same project, not a twin', async () => {
    // Prepare
    const first = await projects.create(alice, { name: 'todo bot', description: 'a todo bot' }, 'toolu_1');
    clock.advance(60);

    // Act
    const again = await projects.create(alice, { name: 'todo bot', description: 'changed words' }, 'toolu_1');

    // Assess
    expect(again).toEqual(first);
    expect(await projects.list(alice)).toEqual([first]);
  });

  it('makes a different project of the same name for another owner', async () => {
    // Prepare
    const first = await projects.create(alice, { name: 'todo bot', description: 'a todo bot' }, 'toolu_1');

    // Act
    const second = await projects.create(bob, { name: 'todo bot', description: 'a todo bot' }, 'toolu_1');

    // Assess
    expect(second.id).not.toBe(first.id);
    expect(await projects.list(admin, 'all')).toHaveLength(2);
  });

  it('refuses a second project of the same name for the same owner, since names identify projects', async () => {
    // Prepare
    const first = await projects.create(alice, { name: 'todo bot', description: 'a todo bot' }, 'toolu_1');

    // Act
    const second = projects.create(alice, { name: 'todo bot', description: 'another' }, 'toolu_2');

    // Assess
    await expect(second).rejects.toThrow(`You already have a project named todo-bot (id ${first.id}).`);
    expect(await projects.list(alice)).toEqual([first]);
  });

  it.each([
    { input: { name: '!!', description: 'a bot' }, error: /does not make a project name/ },
    { input: { name: 'good-name', description: '  a ' }, error: /needs a description/ },
    { input: { name: 'good-name', description: 'x'.repeat(4001) }, error: /longer than 4000/ },
  ])('refuses $input.name / a bad description as invalid and stores nothing', async ({ input, error }) => {
    // Act
    const creating = projects.create(alice, input, 'toolu_1');

    // Assess
    await expect(creating).rejects.toThrow(error);
    await expect(creating).rejects.toMatchObject({ code: 'invalid' });
    expect(store.dump('projects')).toEqual([]);
  });
});

describe('ProjectService: tenancy', () => {
  let alices: Project;
  let bobs: Project;

  beforeEach(async () => {
    alices = await create(alice, 'weather-bot');
    bobs = await create(bob, 'diary-bot');
    await create(admin, 'ops-bot');
  });

  it.each(['mine', 'all'] as const)('lists only a user’s own projects, even for scope %s', async (scope) => {
    // Act
    const listed = await projects.list(alice, scope);

    // Assess
    expect(listed).toEqual([alices]);
  });

  it('lists an admin’s own projects for mine and everyone’s for all, oldest first', async () => {
    // Act
    const mine = await projects.list(admin, 'mine');
    const all = await projects.list(admin, 'all');

    // Assess
    expect(names(mine)).toEqual([`${admin.userId}/ops-bot`]);
    expect(names(all)).toEqual([
      `${alice.userId}/weather-bot`,
      `${bob.userId}/diary-bot`,
      `${admin.userId}/ops-bot`,
    ]);
  });

  it.each([
    { by: 'id', ref: () => alices.id },
    { by: 'name', ref: () => 'weather-bot' },
    { by: 'name in capitals with spaces', ref: () => '  WEATHER-BOT ' },
  ])('finds a user’s own project by $by', async ({ ref }) => {
    // Act
    const found = await projects.get(alice, ref());

    // Assess
    expect(found).toEqual(alices);
  });

  it.each([
    { by: 'id', ref: () => bobs.id },
    { by: 'name', ref: () => 'diary-bot' },
    { by: 'id with spaces', ref: () => ` ${bobs.id} ` },
    { by: 'name in capitals', ref: () => 'DIARY-BOT' },
    { by: 'a project that does not exist', ref: () => 'no-such-bot' },
  ])("reports another user's project by $by as not found, like a missing one", async ({ ref }) => {
    // Act
    const error = await projects.get(alice, ref()).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'not_found', message: `Project "${ref().trim()}" not found` });
  });

  it.each([
    { by: 'id', ref: () => bobs.id },
    { by: 'name', ref: () => 'diary-bot' },
  ])("lets an admin see any user's project by $by", async ({ ref }) => {
    // Act
    const found = await projects.get(admin, ref());

    // Assess
    expect(found).toEqual(bobs);
  });

  it("refuses to add a secret key to another user's project and leaves it unchanged", async () => {
    // Act
    const adding = projects.addSecretKey(alice, bobs.id, 'API_KEY');

    // Assess
    await expect(adding).rejects.toMatchObject({ code: 'not_found' });
    expect(await projects.get(bob, bobs.id)).toEqual(bobs);
  });

  it('adds secret keys normalised, sorted and once', async () => {
    // Prepare
    clock.advance(5);

    // Act
    await projects.addSecretKey(alice, alices.id, 'telegram_bot_token');
    await projects.addSecretKey(alice, 'weather-bot', 'API_KEY');
    const updated = await projects.addSecretKey(alice, alices.id, ' api_key ');

    // Assess
    expect(updated.secretKeys).toEqual(['API_KEY', 'TELEGRAM_BOT_TOKEN']);
    expect(await projects.get(alice, alices.id)).toMatchObject({
      secretKeys: ['API_KEY', 'TELEGRAM_BOT_TOKEN'],
      updatedAt: new Date(clock.now() * 1000).toISOString(),
      createdAt: alices.createdAt,
    });
  });

  it('refuses an invalid secret key without changing the project', async () => {
    // Act
    const adding = projects.addSecretKey(alice, alices.id, 'not a key');

    // Assess
    await expect(adding).rejects.toMatchObject({ code: 'invalid' });
    expect((await projects.get(alice, alices.id)).secretKeys).toEqual([]);
  });
});

describe('project names, descriptions and secret keys', () => {
  it.each([
    ['Weather Bot', 'weather-bot'],
    ['weather-bot', 'weather-bot'],
    ['  My_Cool  App!! ', 'my-cool-app'],
    ['Café Bot', 'cafe-bot'],
    ['ＡＢＣ bot', 'abc-bot'],
    ['bot 2000', 'bot-2000'],
    ['--a--b--', 'a-b'],
    ['abc', 'abc'],
    ['a'.repeat(50), 'a'.repeat(40)],
    [`${'x'.repeat(39)} y`, 'x'.repeat(39)],
  ])('normalises %j to %j', (raw, expected) => {
    // Act
    const name = normaliseProjectName(raw);

    // Assess
    expect(name).toBe(expected);
  });

  it.each(['', 'ab', '!!!', '---', '日本語', 'a!'])('refuses %j as a project name', (raw) => {
    // Act
    const normalising = () => normaliseProjectName(raw);

    // Assess
    expect(normalising).toThrow(DomainError);
    expect(normalising).toThrow(/does not make a project name/);
  });

  it.each([
    ['abc', 'abc'],
    ['  trimmed  ', 'trimmed'],
    ['x'.repeat(4000), 'x'.repeat(4000)],
  ])('accepts the description %#', (raw, expected) => {
    // Act
    const description = validateDescription(raw);

    // Assess
    expect(description).toBe(expected);
  });

  it.each([
    ['TELEGRAM_BOT_TOKEN', 'TELEGRAM_BOT_TOKEN'],
    ['openai_api_key', 'OPENAI_API_KEY'],
    [' api_key ', 'API_KEY'],
    ['A', 'A'],
    ['K2', 'K2'],
    [`A${'B'.repeat(63)}`, `A${'B'.repeat(63)}`],
  ])('accepts the secret key %j as %j', (raw, expected) => {
    // Act
    const key = validateSecretKey(raw);

    // Assess
    expect(key).toBe(expected);
  });

  it.each(['', '1KEY', '_KEY', 'MY-KEY', 'MY KEY', 'KEY!', `A${'B'.repeat(64)}`, 'ÄPI_KEY'])(
    'refuses the secret key %j',
    (raw) => {
      // Act
      const validating = () => validateSecretKey(raw);

      // Assess
      expect(validating).toThrow(/is not a secret name/);
    },
  );

  it('derives project ids from the name and the idempotency key', () => {
    // Act
    const ids = [projectIdFor('bot', 'k1'), projectIdFor('bot', 'k1'), projectIdFor('bot', 'k2')];

    // Assess
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toBe(ids[2]);
    expect(ids[0]).toMatch(/^bot-[0-9a-f]{6}$/);
  });
});
