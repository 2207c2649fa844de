import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Principal } from '../../../lambdas/domain/access/access-policy.ts';
import { type AgentTool, defineTool, toolDefinition } from '../../../lambdas/domain/agent/agent-tool.ts';
import { CAPABILITY_GROUPS, productOwnerCapabilities } from '../../../lambdas/domain/agent/capabilities.ts';
import { CapabilityRegistry } from '../../../lambdas/domain/agent/capability-registry.ts';

const user: Principal = { userId: 2002, role: 'user' };
const admin: Principal = { userId: 1001, role: 'admin' };

const tool = (name: string): AgentTool =>
  defineTool({
    name,
    description: `the ${name} tool`,
    input: z.object({}),
    idempotent: true,
    run: async () => ({ result: { kind: 'message_sent' } }),
  });

const shared = tool('shared');
const registry = new CapabilityRegistry(
  [tool('base')],
  [
    { name: 'alpha', description: 'alpha things', tools: [tool('a1'), shared] },
    { name: 'beta', description: 'beta things', tools: [tool('b1'), shared] },
    { name: 'secret', description: 'admin things', adminOnly: true, tools: [tool('s1')] },
  ],
);

const names = (tools: AgentTool[]) => tools.map((t) => t.name);

describe('CapabilityRegistry', () => {
  it.each([
    { who: 'a user', principal: user, groups: ['alpha', 'beta'] },
    { who: 'an admin', principal: admin, groups: ['alpha', 'beta', 'secret'] },
  ])('offers $who the groups they may use', ({ principal, groups }) => {
    // Act
    const available = registry.available(principal);

    // Assess
    expect(available.map((g) => g.name)).toEqual(groups);
  });

  it.each([
    { who: 'user', principal: user, asked: ['beta', 'alpha'], allowed: ['beta', 'alpha'] },
    { who: 'user', principal: user, asked: ['alpha', 'alpha', 'beta'], allowed: ['alpha', 'beta'] },
    { who: 'user', principal: user, asked: ['secret', 'alpha'], allowed: ['alpha'] },
    { who: 'user', principal: user, asked: ['nonsense', 'ALPHA', ''], allowed: [] },
    { who: 'admin', principal: admin, asked: ['secret', 'nonsense'], allowed: ['secret'] },
    { who: 'admin', principal: admin, asked: [], allowed: [] },
  ])('allows a $who $allowed of $asked', ({ principal, asked, allowed }) => {
    // Act
    const result = registry.allowed(principal, asked);

    // Assess
    expect(result).toEqual(allowed);
  });

  it.each([
    { who: 'user', principal: user, groups: [], tools: ['base'] },
    { who: 'user', principal: user, groups: ['alpha'], tools: ['base', 'a1', 'shared'] },
    { who: 'user', principal: user, groups: ['alpha', 'beta'], tools: ['base', 'a1', 'shared', 'b1'] },
    { who: 'user', principal: user, groups: ['secret'], tools: ['base'] },
    { who: 'admin', principal: admin, groups: ['secret', 'alpha'], tools: ['base', 's1', 'a1', 'shared'] },
  ])('gives a $who for $groups the tools $tools, each once', ({ principal, groups, tools }) => {
    // Act
    const given = registry.toolsFor(principal, groups);

    // Assess
    expect(names(given)).toEqual(tools);
  });
});

describe('the Product Owner capabilities', () => {
  const capabilities = productOwnerCapabilities();
  const allTools = [
    ...capabilities.toolsFor(
      admin,
      CAPABILITY_GROUPS.map((g) => g.name),
    ),
  ];

  it('keeps the admin group, and only it, for administrators', () => {
    // Act
    const adminOnly = CAPABILITY_GROUPS.filter((g) => g.adminOnly).map((g) => g.name);

    // Assess
    expect(adminOnly).toEqual(['admin']);
    expect(capabilities.available(user).map((g) => g.name)).toEqual([
      'projects',
      'engineering',
      'deploy',
      'usage',
      'reminders',
      'knowledge',
    ]);
  });

  it('names every tool once across all groups', () => {
    // Act
    const toolNames = names(allTools);

    // Assess
    expect(new Set(toolNames).size).toBe(toolNames.length);
    expect(toolNames.sort()).toEqual(
      [
        'add_pool_bot',
        'add_server',
        'approve_escalation',
        'cancel_reminder',
        'create_api_key',
        'create_project',
        'delete_project',
        'finish',
        'get_project',
        'get_usage',
        'list_api_keys',
        'list_bot_pool',
        'list_projects',
        'list_reminders',
        'list_servers',
        'list_users',
        'remove_pool_bot',
        'remove_server',
        'request_capabilities',
        'set_budget',
        'set_reminder',
        'respond_to_user',
        'revoke_api_key',
        'rotate_api_key',
        'run_status',
        'search_knowledge',
        'set_project_secret',
        'start_engineering',
        'trigger_deploy',
      ].sort(),
    );
  });

  it.each(['respond_to_user', 'request_capabilities', 'finish'])(
    'gives %s to everyone, whatever the groups',
    (name) => {
      // Act
      const given = names(capabilities.toolsFor(user, []));

      // Assess
      expect(given).toContain(name);
    },
  );

  it.each(
    productOwnerCapabilities()
      .toolsFor(
        admin,
        CAPABILITY_GROUPS.map((g) => g.name),
      )
      .map((t) => ({ name: t.name, tool: t })),
  )('describes $name to the model as a JSON schema object', ({ tool: agentTool }) => {
    // Act
    const definition = toolDefinition(agentTool);

    // Assess
    expect(definition.name).toMatch(/^[a-z_]{3,64}$/);
    expect(definition.description.length).toBeGreaterThan(10);
    expect(definition.inputSchema).toMatchObject({ type: 'object' });
    expect(definition.inputSchema).not.toHaveProperty('$schema');
  });

  it.each([
    { name: 'trigger_deploy', confirms: true },
    { name: 'start_engineering', confirms: true },
    { name: 'create_project', confirms: false },
    { name: 'respond_to_user', confirms: false },
  ])('asks for confirmation before $name: $confirms', ({ name, confirms }) => {
    // Act
    const found = allTools.find((t) => t.name === name);

    // Assess
    expect(found?.confirmation !== undefined).toBe(confirms);
  });

  it('marks only respond_to_user and the tools that show a new API key as unsafe to repeat', () => {
    // Act
    const notIdempotent = allTools.filter((t) => !t.idempotent).map((t) => t.name);

    // Assess: a repeat would send a second message, or make (and show) another key or secret.
    expect(notIdempotent.sort()).toEqual(['create_api_key', 'respond_to_user', 'rotate_api_key']);
  });
});
