import { type CapabilityGroup, CapabilityRegistry } from './capability-registry.ts';
import { ADMIN_TOOLS, USAGE_TOOLS } from './tools/admin-tools.ts';
import { API_KEY_TOOLS } from './tools/api-key-tools.ts';
import { BASE_TOOLS } from './tools/base-tools.ts';
import { KNOWLEDGE_TOOLS } from './tools/knowledge-tools.ts';
import { DEPLOY_TOOLS, ENGINEERING_TOOLS } from './tools/pipeline-tools.ts';
import { PROJECT_TOOLS } from './tools/project-tools.ts';
import { REMINDER_TOOLS } from './tools/reminder-tools.ts';

export const CAPABILITY_GROUPS: CapabilityGroup[] = [
  {
    name: 'projects',
    description: 'create, list, inspect and delete projects; set project secrets',
    tools: PROJECT_TOOLS,
  },
  {
    name: 'engineering',
    description: 'build a project with the engineering pipeline; run status; approvals',
    tools: ENGINEERING_TOOLS,
  },
  { name: 'deploy', description: 'deploy a project to its server; deploy status', tools: DEPLOY_TOOLS },
  { name: 'usage', description: 'model token usage and cost', tools: USAGE_TOOLS },
  { name: 'reminders', description: 'set, list and cancel reminders in this chat', tools: REMINDER_TOOLS },
  {
    name: 'knowledge',
    description: "search a project's own specs, docs, code and run history to answer questions about it",
    tools: KNOWLEDGE_TOOLS,
  },
  {
    name: 'admin',
    description: 'users, deployment servers, the bot pool and API keys (administrators only)',
    adminOnly: true,
    tools: [...ADMIN_TOOLS, ...API_KEY_TOOLS],
  },
];

export function productOwnerCapabilities(): CapabilityRegistry {
  return new CapabilityRegistry(BASE_TOOLS, CAPABILITY_GROUPS);
}
