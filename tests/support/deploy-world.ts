import type { Principal } from '../../lambdas/domain/access/access-policy.ts';
import { ChatSecretVault } from '../../lambdas/domain/chat-secrets/chat-secret-vault.ts';
import { BotPool } from '../../lambdas/domain/deploys/bot-pool.ts';
import { DeploymentResources } from '../../lambdas/domain/deploys/deployment-resources.ts';
import { PortAllocator } from '../../lambdas/domain/deploys/port-allocator.ts';
import { ServerInventory } from '../../lambdas/domain/deploys/server-inventory.ts';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import { ProjectService } from '../../lambdas/domain/projects/project-service.ts';
import type { KeyValueStore } from '../../lambdas/ports/key-value-store.ts';
import { MemorySecrets } from './memory-secrets.ts';

export const SSH_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACBzZWNyZXQta2V5LW1hdGVyaWFsLW5vdC1hLXJlYWwta2V5AAAAAAAAAAA=',
  '-----END OPENSSH PRIVATE KEY-----',
].join('\n');

export const BOT_TOKEN = '7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1';
export const BOT_TOKEN_2 = '7000000002:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw2';

export const ALICE: Principal = { userId: 2002, role: 'user' };
export const BOB: Principal = { userId: 3003, role: 'user' };
export const ADMIN: Principal = { userId: 1001, role: 'admin' };

/** The deploy services over one store and one secrets port, as the wiring builds them. */
export function deployWorld(store: KeyValueStore, secrets = new MemorySecrets()) {
  const inventory = new ServerInventory(store, secrets, { keyPrefix: 'orchestrator/servers/' });
  const ports = new PortAllocator(store);
  const pool = new BotPool(store, secrets, { tokenPrefix: 'orchestrator/bot-pool/' });
  const resources = new DeploymentResources({ store, inventory, ports, pool });
  const vault = new ChatSecretVault(secrets);
  const projects = new ProjectService(new ProjectRepository(store), undefined, { resources, secrets: vault });
  return { store, secrets, inventory, ports, pool, resources, vault, projects };
}

export type DeployWorld = ReturnType<typeof deployWorld>;
