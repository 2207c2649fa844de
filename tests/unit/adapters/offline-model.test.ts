import { describe, expect, it } from 'vitest';
import { deriveProjectName } from '../../../lambdas/adapters/llm/offline/intents.ts';
import { OfflineModel } from '../../../lambdas/adapters/llm/offline-model.ts';
import type { Principal } from '../../../lambdas/domain/access/access-policy.ts';
import { UserDirectory } from '../../../lambdas/domain/access/user-directory.ts';
import type { AgentServices } from '../../../lambdas/domain/agent/agent-services.ts';
import { type AgentTool, toolDefinition } from '../../../lambdas/domain/agent/agent-tool.ts';
import { productOwnerCapabilities } from '../../../lambdas/domain/agent/capabilities.ts';
import { parseIntent } from '../../../lambdas/domain/agent/intent-parser.ts';
import { productOwnerPrompt, SUMMARISER_PROMPT } from '../../../lambdas/domain/agent/prompts.ts';
import {
  appendMessage,
  renderForSummary,
  toolResult,
  userText,
} from '../../../lambdas/domain/agent/transcript.ts';
import { ChatSecretVault } from '../../../lambdas/domain/chat-secrets/chat-secret-vault.ts';
import { DomainError } from '../../../lambdas/domain/errors.ts';
import { ProjectRepository } from '../../../lambdas/domain/projects/project-repository.ts';
import { ProjectService } from '../../../lambdas/domain/projects/project-service.ts';
import { UsageLedger } from '../../../lambdas/domain/usage/usage-ledger.ts';
import type {
  ChatMessage,
  CompletionRequest,
  CompletionResponse,
  ContentBlock,
} from '../../../lambdas/ports/language-model.ts';
import { MemorySecrets } from '../../support/memory-secrets.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const ADMIN: Principal = { userId: 1001, role: 'admin' };
const USER: Principal = { userId: 2002, role: 'user' };
const TODAY = new Date('2025-01-15T00:00:00Z');
const ALL_GROUPS = ['projects', 'engineering', 'deploy', 'usage', 'admin'];
const REF = '0123456789ab';
const ID = 'weather-bot-1a2b3c';
const registry = productOwnerCapabilities();
const model = new OfflineModel();

const call = (id: string, name: string, input: Record<string, unknown> = {}): ContentBlock => ({
  type: 'tool_use',
  id,
  name,
  input,
});
const assistant = (...content: ContentBlock[]): ChatMessage => ({ role: 'assistant', content });
const results = (...entries: Array<[string, string, boolean?]>): ChatMessage => ({
  role: 'user',
  content: entries.map(([id, content, isError]) => toolResult(id, content, isError)),
});

const CREATED_RESULT = `Project created: weather-bot (id ${ID}, owner 2002): status draft; secrets: none; "make me a weather bot"`;

/** A finished turn that created weather-bot; the next user text is appended to its last message. */
const CREATED: ChatMessage[] = [
  userText('make me a weather bot'),
  assistant(call('t1', 'create_project', { name: 'weather-bot', description: 'make me a weather bot' })),
  results(['t1', CREATED_RESULT]),
  assistant(call('t2', 'respond_to_user', { text: 'Created project weather-bot.' })),
  results(['t2', 'Message sent.']),
  assistant(call('t3', 'finish')),
  results(['t3', 'Turn finished.']),
];
const thenSays = (history: ChatMessage[], text: string) => appendMessage(history, userText(text));

function poRequest(
  messages: ChatMessage[],
  options: { principal?: Principal; groups?: string[]; summary?: string } = {},
): CompletionRequest {
  const principal = options.principal ?? USER;
  return {
    system: productOwnerPrompt(principal, options.summary, TODAY),
    messages,
    tools: registry.toolsFor(principal, options.groups ?? ALL_GROUPS).map(toolDefinition),
  };
}

/** The response as compact calls, for table comparisons. */
function calls(
  response: CompletionResponse,
): Array<{ name: string; input: Record<string, unknown> } | { text: string }> {
  return response.content.map((b) =>
    b.type === 'tool_use' ? { name: b.name, input: b.input } : { text: b.type === 'text' ? b.text : '' },
  );
}
const respond = (text: string | ReturnType<typeof expect.stringContaining>) => ({
  name: 'respond_to_user',
  input: { text },
});

describe('OfflineModel intent parser', () => {
  it.each([
    { text: 'make me a weather bot with daily notifications', principal: USER, groups: ['projects'] },
    { text: 'Make me a weather bot and build it', principal: USER, groups: ['projects', 'engineering'] },
    { text: 'I want an app that tracks expenses', principal: USER, groups: ['projects'] },
    { text: 'list my projects', principal: USER, groups: ['projects'] },
    { text: 'status of weather-bot', principal: USER, groups: ['projects'] },
    { text: 'weather-bot', principal: USER, groups: ['projects'] },
    { text: 'deploy it', principal: USER, groups: ['projects', 'deploy'] },
    { text: 'DEPLOY weather-bot!', principal: USER, groups: ['projects', 'deploy'] },
    { text: 'build it', principal: USER, groups: ['projects', 'engineering'] },
    { text: 'start engineering', principal: USER, groups: ['projects', 'engineering'] },
    { text: 'approve weather-bot', principal: USER, groups: ['projects', 'engineering'] },
    { text: 'set secret TELEGRAM_BOT_TOKEN for weather-bot', principal: USER, groups: ['projects'] },
    { text: 'here is my bot token', principal: USER, groups: ['projects'] },
    { text: `[secret:${REF} OPENAI_API_KEY]`, principal: USER, groups: ['projects'] },
    { text: 'how much have I spent?', principal: USER, groups: ['usage'] },
    { text: 'token usage', principal: USER, groups: ['usage'] },
    { text: 'list users', principal: ADMIN, groups: ['admin'] },
    { text: 'show servers', principal: ADMIN, groups: ['admin'] },
    { text: 'list users', principal: USER, groups: [] },
    { text: 'hi', principal: USER, groups: [] },
    { text: 'Hello!', principal: ADMIN, groups: [] },
  ])('picks $groups for "$text" ($principal.role)', async ({ text, principal, groups }) => {
    // Act
    const result = await parseIntent(model, registry, principal, text);

    // Assess
    expect(result.groups).toEqual(groups);
    expect(result.response.stopReason).toBe('tool_use');
  });
});

describe('OfflineModel product owner', () => {
  it.each([
    {
      name: 'creates a project from a request',
      request: poRequest([userText('make me a weather bot with daily notifications')]),
      expected: [
        {
          name: 'create_project',
          input: { name: 'weather-bot', description: 'make me a weather bot with daily notifications' },
        },
      ],
    },
    {
      name: 'lists projects',
      request: poRequest(thenSays(CREATED, 'list my projects')),
      expected: [{ name: 'list_projects', input: {} }],
    },
    {
      name: 'lists every project for an admin',
      request: poRequest([userText('show all projects')], { principal: ADMIN }),
      expected: [{ name: 'list_projects', input: { scope: 'all' } }],
    },
    {
      name: 'lists own projects for a user who says all',
      request: poRequest([userText('show all projects')]),
      expected: [{ name: 'list_projects', input: {} }],
    },
    {
      name: 'shows the status of a named project by its id',
      request: poRequest(thenSays(CREATED, 'status of weather-bot')),
      expected: [{ name: 'get_project', input: { project: ID } }],
    },
    {
      name: 'shows the status of the latest project',
      request: poRequest(thenSays(CREATED, "how's it going?")),
      expected: [{ name: 'get_project', input: { project: ID } }],
    },
    {
      name: 'lists projects when asked for a status with none known',
      request: poRequest([userText('status')]),
      expected: [{ name: 'list_projects', input: {} }],
    },
    {
      name: 'deploys "it"',
      request: poRequest(thenSays(CREATED, 'Deploy it')),
      expected: [{ name: 'trigger_deploy', input: { project: ID } }],
    },
    {
      name: 'asks about a running deploy without starting another',
      request: poRequest(thenSays(CREATED, 'how is the deploy going?')),
      expected: [{ name: 'run_status', input: { project: ID } }],
    },
    {
      name: 'builds "it"',
      request: poRequest(thenSays(CREATED, 'build it')),
      expected: [{ name: 'start_engineering', input: { project: ID } }],
    },
    {
      name: 'builds a project named by name',
      request: poRequest(thenSays(CREATED, 'start building weather-bot')),
      expected: [{ name: 'start_engineering', input: { project: ID } }],
    },
    {
      name: 'approves an escalation',
      request: poRequest(thenSays(CREATED, 'approve')),
      expected: [{ name: 'approve_escalation', input: { project: ID } }],
    },
    {
      name: 'stores a pasted secret by its reference',
      request: poRequest(thenSays(CREATED, `here is the token [secret:${REF} TELEGRAM_BOT_TOKEN]`)),
      expected: [
        { name: 'set_project_secret', input: { project: ID, key: 'TELEGRAM_BOT_TOKEN', secretRef: REF } },
      ],
    },
    {
      name: 'asks which project a pasted secret is for when none is known',
      request: poRequest([userText(`[secret:${REF} OPENAI_API_KEY]`)]),
      expected: [respond(expect.stringContaining('Which project is this OPENAI_API_KEY for?'))],
    },
    {
      name: 'stores an earlier pasted secret once the project is named',
      request: poRequest(
        thenSays(
          [
            ...CREATED,
            userText(`[secret:${REF} OPENAI_API_KEY]`),
            assistant(
              call('t4', 'set_project_secret', { project: 'nope', key: 'OPENAI_API_KEY', secretRef: REF }),
            ),
            results(['t4', 'Project "nope" not found', true]),
            assistant(call('t5', 'respond_to_user', { text: 'That did not work' })),
            results(['t5', 'Message sent.']),
          ],
          'it is for weather-bot',
        ),
      ),
      expected: [
        { name: 'set_project_secret', input: { project: ID, key: 'OPENAI_API_KEY', secretRef: REF } },
      ],
    },
    {
      name: 'creates the project first when a secret comes with the request',
      request: poRequest([userText(`make me a weather bot, its token: [secret:${REF} TELEGRAM_BOT_TOKEN]`)]),
      expected: [
        {
          name: 'create_project',
          input: {
            name: 'weather-bot',
            description: 'make me a weather bot, its token: [secret TELEGRAM_BOT_TOKEN]',
          },
        },
      ],
    },
    {
      name: 'says how to store that secret once the project exists',
      request: poRequest([
        userText(`make me a weather bot, its token: [secret:${REF} TELEGRAM_BOT_TOKEN]`),
        assistant(
          call('t1', 'create_project', { name: 'weather-bot', description: 'make me a weather bot' }),
        ),
        results(['t1', CREATED_RESULT]),
      ]),
      expected: [
        respond(expect.stringContaining('Say "it is for weather-bot" to store the secret you sent')),
      ],
    },
    {
      name: 'asks for a secret value when the person names only the key',
      request: poRequest(thenSays(CREATED, 'set secret OPENAI_API_KEY for weather-bot')),
      expected: [{ name: 'set_project_secret', input: { project: ID, key: 'OPENAI_API_KEY' } }],
    },
    {
      name: 'reads "X needs KEY"',
      request: poRequest(thenSays(CREATED, 'it needs GITHUB_TOKEN')),
      expected: [{ name: 'set_project_secret', input: { project: ID, key: 'GITHUB_TOKEN' } }],
    },
    {
      name: 'confirms a secret the loop stored',
      request: poRequest(
        thenSays(CREATED, `[secret TELEGRAM_BOT_TOKEN for project ${ID} received and stored]`),
      ),
      expected: [respond(expect.stringMatching(/^Stored TELEGRAM_BOT_TOKEN for weather-bot\./))],
    },
    {
      name: 'reports usage',
      request: poRequest([userText('how much did I spend')]),
      expected: [{ name: 'get_usage', input: {} }],
    },
    {
      name: "reports everyone's usage to an admin",
      request: poRequest([userText('usage of everyone')], { principal: ADMIN }),
      expected: [{ name: 'get_usage', input: { scope: 'all' } }],
    },
    {
      name: 'lists users for an admin',
      request: poRequest([userText('list users')], { principal: ADMIN }),
      expected: [{ name: 'list_users', input: {} }],
    },
    {
      name: 'lists servers for an admin',
      request: poRequest([userText('servers')], { principal: ADMIN }),
      expected: [{ name: 'list_servers', input: {} }],
    },
    {
      name: 'greets and explains itself',
      request: poRequest([userText('hi')]),
      expected: [respond(expect.stringContaining('I am the offline model (no real AI)'))],
    },
    {
      name: 'explains itself for anything else',
      request: poRequest([userText('what is the meaning of life')]),
      expected: [respond(expect.stringContaining('"build it" starts engineering'))],
    },
    {
      name: 'reports a created project',
      request: poRequest(CREATED.slice(0, 3)),
      expected: [
        respond(
          `Created project weather-bot (id ${ID}). Say "build it" to start engineering, or send secrets it needs.`,
        ),
      ],
    },
    {
      name: 'reports an error',
      request: poRequest([
        userText('status of ghost'),
        assistant(call('t1', 'get_project', { project: 'ghost' })),
        results(['t1', 'Project "ghost" not found', true]),
      ]),
      expected: [respond('That did not work: Project "ghost" not found')],
    },
    {
      name: 'reports a pipeline that is not installed',
      request: poRequest([
        ...thenSays(CREATED, 'build it'),
        assistant(call('t4', 'start_engineering', { project: ID })),
        results([
          't4',
          'The engineering pipeline is not part of this installation yet, so nothing was started. Tell the person so plainly; do not pretend it ran.',
        ]),
      ]),
      expected: [
        respond('The engineering pipeline is not part of this installation yet, so nothing was started.'),
      ],
    },
    {
      name: 'reports a declined action',
      request: poRequest([
        ...thenSays(CREATED, 'deploy it'),
        assistant(call('t4', 'trigger_deploy', { project: ID })),
        results(['t4', 'The person declined; nothing was done.']),
      ]),
      expected: [respond('OK, I did not do it.')],
    },
    {
      name: 'asks for the value of a secret',
      request: poRequest([
        ...thenSays(CREATED, 'set secret OPENAI_API_KEY for it'),
        assistant(call('t4', 'set_project_secret', { project: ID, key: 'OPENAI_API_KEY' })),
        results(['t4', 'Waiting for the person to send the value of OPENAI_API_KEY for weather-bot.']),
      ]),
      expected: [
        respond(
          'Send me the value of OPENAI_API_KEY for weather-bot now. I will store it encrypted and delete your message.',
        ),
      ],
    },
    {
      name: 'reports a project listing',
      request: poRequest([
        userText('list my projects'),
        assistant(call('t1', 'list_projects')),
        results(['t1', `Projects (1):\n${CREATED_RESULT.slice('Project created: '.length)}`]),
      ]),
      expected: [respond(`Projects (1):\n- weather-bot (id ${ID}): draft, secrets: none`)],
    },
    {
      name: 'finishes after answering',
      request: poRequest(CREATED.slice(0, 5)),
      expected: [{ name: 'finish', input: {} }],
    },
    {
      name: 'asks for the deploy tools when they are missing',
      request: poRequest(thenSays(CREATED, 'deploy it'), { groups: ['projects'] }),
      expected: [
        { name: 'request_capabilities', input: { groups: ['deploy'], reason: 'to use trigger_deploy' } },
      ],
    },
    {
      name: 'uses the tools once they were added',
      request: poRequest(
        [
          ...thenSays(CREATED, 'deploy it'),
          assistant(call('t4', 'request_capabilities', { groups: ['deploy'] })),
          results(['t4', 'Requested groups: deploy.']),
        ],
        { groups: ['projects', 'deploy'] },
      ),
      expected: [{ name: 'trigger_deploy', input: { project: ID } }],
    },
    {
      name: 'says so when the tools are still missing after asking',
      request: poRequest(
        [
          userText('list users'),
          assistant(call('t1', 'request_capabilities', { groups: ['admin'] })),
          results(['t1', 'Requested groups: admin.']),
        ],
        { groups: ['projects'] },
      ),
      expected: [
        respond(expect.stringContaining('it needs the admin tools, which are not available to you')),
      ],
    },
    {
      name: 'lets new text win over pending results',
      request: poRequest([
        ...thenSays(CREATED, 'deploy it'),
        assistant(call('t4', 'trigger_deploy', { project: ID })),
        {
          role: 'user',
          content: [
            toolResult('t4', 'The person declined; nothing was done.'),
            { type: 'text', text: 'list my projects' },
          ],
        },
      ]),
      expected: [{ name: 'list_projects', input: {} }],
    },
    {
      name: 'knows projects from the summary of older messages',
      request: poRequest([userText('deploy it')], { summary: `Projects: weather-bot (id ${ID}).` }),
      expected: [{ name: 'trigger_deploy', input: { project: ID } }],
    },
  ])('$name', async ({ request, expected }) => {
    // Act
    const response = await model.complete(request);

    // Assess
    expect(calls(response)).toEqual(expected);
    expect(response.stopReason).toBe('tool_use');
    expect(response.modelId).toBe('offline-deterministic');
  });

  it('answers with text when it has no tools', async () => {
    // Act
    const response = await model.complete({ system: 'ROLE: product-owner', messages: [userText('hi')] });

    // Assess
    expect(response.stopReason).toBe('end_turn');
    expect(response.content).toEqual([{ type: 'text', text: expect.stringContaining('offline model') }]);
  });

  it('asks which project when "it" means nothing yet', async () => {
    // Act
    const response = await model.complete(poRequest([userText('deploy it')]));

    // Assess
    expect(calls(response)).toEqual([respond(expect.stringContaining('Which project do you mean?'))]);
  });
});

describe('OfflineModel summariser', () => {
  const history: ChatMessage[] = [
    ...CREATED,
    userText(`here is the token [secret:${REF} TELEGRAM_BOT_TOKEN]`),
    assistant(call('t4', 'set_project_secret', { project: ID, key: 'TELEGRAM_BOT_TOKEN', secretRef: REF })),
    results(['t4', 'Secret TELEGRAM_BOT_TOKEN stored for weather-bot.']),
    userText(
      `please also make a very long and detailed todo list app that syncs with my calendar every hour`,
    ),
  ];

  it.each([
    { form: 'messages', messages: history, count: 11 },
    { form: 'rendered text', messages: [userText(renderForSummary(history))], count: 11 },
  ])('summarises $form from facts, without secret references', async ({ messages, count }) => {
    // Act
    const response = await model.complete({ system: SUMMARISER_PROMPT, messages });

    // Assess
    expect(response.stopReason).toBe('end_turn');
    const text = response.content[0]?.type === 'text' ? response.content[0].text : '';
    expect(text).toBe(
      [
        `Earlier messages: ${count} (3 from the person).`,
        `Projects: weather-bot (id ${ID}).`,
        'Latest requests:',
        '- "make me a weather bot"',
        '- "here is the token [secret TELEGRAM_BOT_TOKEN]"',
        '- "please also make a very long and detailed todo list app that syncs with my cale…"',
      ].join('\n'),
    );
    expect(text).not.toContain(REF);
  });
});

describe('OfflineModel determinism', () => {
  it('answers the same request the same way', async () => {
    // Arrange
    const request = poRequest(thenSays(CREATED, 'build it'));

    // Act
    const [first, second] = [await model.complete(request), await model.complete(structuredClone(request))];

    // Assess
    expect(second).toEqual(first);
  });

  it('gives different transcripts different tool-use ids', async () => {
    // Act
    const a = await model.complete(poRequest(thenSays(CREATED, 'build it')));
    const b = await model.complete(poRequest(thenSays(CREATED, 'deploy it')));

    // Assess
    const id = (r: CompletionResponse) => (r.content[0]?.type === 'tool_use' ? r.content[0].id : '');
    expect(id(a)).toMatch(/^toolu_offline_[0-9a-f]{16}$/);
    expect(id(a)).not.toBe(id(b));
  });

  it('estimates usage from the characters in and out', async () => {
    // Arrange
    const request = poRequest([userText('list my projects')]);

    // Act
    const response = await model.complete(request);

    // Assess
    expect(response.usage).toEqual({
      inputTokens: Math.ceil((request.system.length + JSON.stringify(request.messages).length) / 4),
      outputTokens: Math.ceil(JSON.stringify(response.content).length / 4),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    });
  });
});

describe('deriveProjectName', () => {
  it.each([
    { text: 'make me a weather bot with daily notifications', name: 'weather-bot' },
    { text: 'Please build me a Todo List App for my team', name: 'todo-list-app' },
    { text: 'I want an app that tracks my expenses', name: 'tracks-my-expenses' },
    { text: 'i need a telegram bot which answers questions', name: 'telegram-bot' },
    { text: 'create a project called Recipe-Finder that finds recipes', name: 'recipe-finder' },
    { text: 'create project weather-bot', name: 'weather-bot' },
    { text: 'can you make a café menu site and deploy it', name: 'cafe-menu-site' },
    { text: 'make me an AI', name: 'ai-app' },
    { text: 'make something', name: 'something' },
    { text: 'create a new project', name: 'new-project' },
  ])('names "$text" $name', ({ text, name }) => {
    expect(deriveProjectName(text)).toBe(name);
  });
});

describe('OfflineModel with the real tools', () => {
  function setup() {
    const store = new MemoryStore();
    const secrets = new MemorySecrets();
    const sent: string[] = [];
    const services: AgentServices = {
      projects: new ProjectService(new ProjectRepository(store), () => TODAY),
      vault: new ChatSecretVault(secrets),
      users: new UserDirectory(store),
      usage: new UsageLedger(store, {}, () => TODAY),
      chat: {
        send: async (_chatId, text) => {
          sent.push(text);
          return { messageId: sent.length };
        },
        edit: async () => {},
        delete: async () => true,
      },
    };
    return { services, secrets, sent };
  }

  /** A minimal agent loop: intent, then model calls and tool runs until finish (confirmations: yes). */
  async function turn(
    services: AgentServices,
    principal: Principal,
    history: ChatMessage[],
    text: string,
  ): Promise<ChatMessage[]> {
    let { groups } = await parseIntent(model, registry, principal, text);
    let messages = appendMessage(history, userText(text));
    for (let step = 0; step < 8; step++) {
      const tools = new Map<string, AgentTool>(registry.toolsFor(principal, groups).map((t) => [t.name, t]));
      const response = await model.complete({
        system: productOwnerPrompt(principal, undefined, TODAY),
        messages,
        tools: [...tools.values()].map(toolDefinition),
      });
      messages = appendMessage(messages, { role: 'assistant', content: response.content });
      const uses = response.content.filter((b) => b.type === 'tool_use');
      if (uses.length === 0) return messages;
      const blocks: ContentBlock[] = [];
      let finished = false;
      for (const use of uses) {
        const tool = tools.get(use.name);
        if (!tool) throw new Error(`model called ${use.name}, which it was not given`);
        const context = { principal, chatId: 1, threadId: 't', idempotencyKey: use.id, services };
        const outcome = await tool.run(tool.input.parse(use.input), context).catch((error: unknown) => {
          if (error instanceof DomainError)
            return { content: error.message, isError: true, control: undefined };
          throw error;
        });
        if (outcome.control?.kind === 'finish') finished = true;
        if (outcome.control?.kind === 'add_capabilities') groups = [...groups, ...outcome.control.groups];
        blocks.push(toolResult(use.id, outcome.content, outcome.isError ?? false));
      }
      messages = appendMessage(messages, { role: 'user', content: blocks });
      if (finished) return messages;
    }
    throw new Error('the turn did not finish');
  }

  it('drives a project from request to deploy', async () => {
    // Arrange
    const { services, secrets, sent } = setup();
    const say = async (history: ChatMessage[], text: string) => {
      const before = sent.length;
      const messages = await turn(services, USER, history, text);
      return { messages, said: sent.slice(before) };
    };

    // Act
    const created = await say([], 'Make me a weather bot with daily notifications');
    const id = /\(id (weather-bot-[0-9a-f]{6})\)/.exec(created.said[0] ?? '')?.[1] ?? '';
    const asked = await say(created.messages, 'set secret TELEGRAM_BOT_TOKEN for it');
    await services.vault.storeForProject(id, 'TELEGRAM_BOT_TOKEN', 'value');
    const stored = await say(
      asked.messages,
      `[secret TELEGRAM_BOT_TOKEN for project ${id} received and stored]`,
    );
    const ref = await services.vault.stash(USER.userId, 'sk-test');
    const pasted = await say(stored.messages, `my openai key: [secret:${ref} OPENAI_API_KEY]`);
    const built = await say(pasted.messages, 'build it');
    const deployed = await say(built.messages, 'deploy it');
    const listed = await say(deployed.messages, 'list my projects');
    const admin = await say(listed.messages, 'list users');

    // Assess
    expect(created.said).toEqual([
      `Created project weather-bot (id ${id}). Say "build it" to start engineering, or send secrets it needs.`,
    ]);
    expect(asked.said).toEqual([
      'Send me the value of TELEGRAM_BOT_TOKEN for weather-bot now. I will store it encrypted and delete your message.',
    ]);
    expect(stored.said[0]).toMatch(/^Stored TELEGRAM_BOT_TOKEN for weather-bot\./);
    expect(pasted.said[0]).toMatch(/^Stored OPENAI_API_KEY for weather-bot\./);
    expect(secrets.names()).toContain(`projects/${id}/OPENAI_API_KEY`);
    expect(built.said).toEqual([
      'The engineering pipeline is not part of this installation yet, so nothing was started.',
    ]);
    expect(deployed.said).toEqual([
      'The devops pipeline is not part of this installation yet, so nothing was started.',
    ]);
    expect(listed.said).toEqual([
      `Projects (1):\n- weather-bot (id ${id}): draft, secrets: OPENAI_API_KEY, TELEGRAM_BOT_TOKEN`,
    ]);
    expect(admin.said[0]).toContain('it needs the admin tools, which are not available to you');
    const ids = admin.messages.flatMap((m) =>
      m.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : [])),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});
