import type { Principal } from '../access/access-policy.ts';
import type { AgentTool } from './agent-tool.ts';

/** A named group of tools the intent parser can ask for; admin-only groups stay hidden from users. */
export interface CapabilityGroup {
  name: string;
  description: string;
  adminOnly?: boolean;
  tools: AgentTool[];
}

export class CapabilityRegistry {
  private readonly groups = new Map<string, CapabilityGroup>();

  constructor(
    private readonly base: AgentTool[],
    groups: CapabilityGroup[],
  ) {
    for (const group of groups) this.groups.set(group.name, group);
  }

  /** The groups this principal may be given, for the intent parser's menu. */
  available(principal: Principal): CapabilityGroup[] {
    return [...this.groups.values()].filter((g) => !g.adminOnly || principal.role === 'admin');
  }

  /** Keeps only known groups the principal may use; unknown or forbidden names are dropped. */
  allowed(principal: Principal, names: readonly string[]): string[] {
    const available = new Set(this.available(principal).map((g) => g.name));
    return [...new Set(names)].filter((n) => available.has(n));
  }

  /** The base tools plus the tools of the allowed groups. */
  toolsFor(principal: Principal, names: readonly string[]): AgentTool[] {
    const tools = new Map(this.base.map((t) => [t.name, t]));
    for (const name of this.allowed(principal, names)) {
      for (const tool of this.groups.get(name)?.tools ?? []) tools.set(tool.name, tool);
    }
    return [...tools.values()];
  }
}
