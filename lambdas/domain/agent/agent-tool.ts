import * as z from 'zod';
import type { ToolDefinition } from '../../ports/language-model.ts';
import type { Principal } from '../access/access-policy.ts';
import type { AgentServices } from './agent-services.ts';
import type { ToolResultData } from './tool-results.ts';

export interface ToolContext {
  principal: Principal;
  chatId: number;
  threadId: string;
  /** The model's tool-use id: unique per call, the same when a call is replayed after a crash. */
  idempotencyKey: string;
  services: AgentServices;
}

/** What a tool tells the loop besides its result. */
export type ToolControl =
  | { kind: 'finish' }
  | { kind: 'add_capabilities'; groups: string[] }
  | { kind: 'await_secret'; projectId: string; key: string };

export interface ToolOutcome {
  /** Typed; the loop renders it for the model (tool-results.ts), and whether it is an error. */
  result: ToolResultData;
  control?: ToolControl;
  /** The project this call was about: later model calls of the conversation are billed to it. */
  projectId?: string;
}

export interface AgentTool<I = Record<string, unknown>> {
  name: string;
  description: string;
  input: z.ZodType<I>;
  /**
   * Safe to run again with the same idempotency key when an earlier run was interrupted (its
   * effect is keyed by it). A non-idempotent call that was interrupted is not repeated.
   */
  idempotent: boolean;
  /** Costly or irreversible: the question put to the person before the tool runs. */
  confirmation?: (input: I, context: ToolContext) => Promise<string>;
  run(input: I, context: ToolContext): Promise<ToolOutcome>;
}

/** Declares a tool with its input type inferred from the zod schema. */
export function defineTool<S extends z.ZodType<Record<string, unknown>>>(
  tool: Omit<AgentTool<z.infer<S>>, 'input'> & { input: S },
): AgentTool {
  return tool as unknown as AgentTool;
}

export function toolDefinition(tool: AgentTool): ToolDefinition {
  const schema = z.toJSONSchema(tool.input, { target: 'draft-7' }) as Record<string, unknown>;
  delete schema.$schema;
  return { name: tool.name, description: tool.description, inputSchema: schema };
}
