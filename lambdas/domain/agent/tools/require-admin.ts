import { forbidden } from '../../errors.ts';
import type { ToolContext } from '../agent-tool.ts';

// Checked in each admin tool as well as by the registry: a model that names an admin tool it was
// not given still cannot use it.
export function requireAdmin(context: ToolContext): void {
  if (context.principal.role !== 'admin') throw forbidden('Only an administrator can do that.');
}
