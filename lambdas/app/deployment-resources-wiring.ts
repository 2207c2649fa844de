import { BotPool } from '../domain/deploys/bot-pool.ts';
import { DeploymentResources } from '../domain/deploys/deployment-resources.ts';
import { PortAllocator } from '../domain/deploys/port-allocator.ts';
import { ServerInventory } from '../domain/deploys/server-inventory.ts';
import type { Runtime } from '../runtime/runtime.ts';

/** The server inventory, port allocator and bot pool on a runtime's store and secrets. */
export function buildDeploymentResources(runtime: Pick<Runtime, 'store' | 'secrets' | 'config'>): {
  inventory: ServerInventory;
  pool: BotPool;
  resources: DeploymentResources;
} {
  const { store, secrets, config } = runtime;
  const inventory = new ServerInventory(store, secrets, { keyPrefix: config.serverKeysPrefix });
  const pool = new BotPool(store, secrets, { tokenPrefix: config.botPoolSecretsPrefix });
  const resources = new DeploymentResources({ store, inventory, ports: new PortAllocator(store), pool });
  return { inventory, pool, resources };
}
