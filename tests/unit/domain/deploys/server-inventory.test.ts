import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../../lambdas/domain/errors.ts';
import { deployWorld, SSH_KEY } from '../../../support/deploy-world.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const setup = () => deployWorld(new MemoryStore());
const server = {
  host: '203.0.113.5',
  sshUser: 'deploy',
  portRange: { from: 20000, to: 20010 },
  sshKey: SSH_KEY,
};

describe('ServerInventory', () => {
  it('keeps the record in the store and the SSH key only in the secrets port', async () => {
    // Prepare
    const world = setup();

    // Act
    const added = await world.inventory.add(server);

    // Assess
    expect(added).toMatchObject({
      id: '203-0-113-5',
      host: '203.0.113.5',
      sshUser: 'deploy',
      sshPort: 22,
      kind: 'ssh',
      baseDir: '/srv/orchestrator',
      portRange: { from: 20000, to: 20010 },
    });
    expect(await world.inventory.list()).toEqual([added]);
    expect(world.secrets.names()).toEqual(['orchestrator/servers/203-0-113-5/ssh-key']);
    expect(await world.inventory.sshKey(added)).toBe(`${SSH_KEY}\n`);
    const stored = await world.store.query('projects', 'SERVERS');
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
  });

  it.each([
    [{ host: 'not a host!' }, 'host must be a hostname or an IP address'],
    [{ sshUser: 'Root User' }, 'user must be a Unix user name'],
    [{ portRange: { from: 80, to: 90 } }, 'must be 1024-65535'],
    [{ portRange: { from: 30000, to: 20000 } }, 'from a lower to a higher port'],
    [{ sshPort: 70000 }, 'ssh port must be 1-65535'],
    [{ sshKey: 'hunter2' }, 'not an SSH private key'],
  ])('refuses %o with a clear error and stores nothing', async (change, message) => {
    // Prepare
    const world = setup();

    // Act
    const adding = world.inventory.add({ ...server, ...change });

    // Assess
    await expect(adding).rejects.toBeInstanceOf(DomainError);
    await expect(adding).rejects.toThrow(message);
    expect(await world.inventory.list()).toEqual([]);
    expect(world.secrets.names()).toEqual([]);
  });

  it('refuses a second server on the same host, unless it is the same request repeated', async () => {
    // Prepare
    const world = setup();
    const first = await world.inventory.add(server, 'toolu_1');

    // Act
    const replayed = await world.inventory.add(server, 'toolu_1');
    const duplicate = world.inventory.add({ ...server, sshKey: SSH_KEY.replace('b3Bl', 'AAAA') }, 'toolu_2');

    // Assess
    expect(replayed).toEqual(first);
    await expect(duplicate).rejects.toMatchObject({ code: 'conflict' });
    expect(await world.inventory.sshKey(first)).toBe(`${SSH_KEY}\n`);
  });

  it('refuses to remove a server while a project holds a port on it, then removes it and its key', async () => {
    // Prepare
    const world = setup();
    const added = await world.inventory.add(server);
    await world.ports.allocate(added.id, 'weather-bot-abc123', added.portRange);

    // Act
    const refused = world.inventory.remove(added.id);

    // Assess
    await expect(refused).rejects.toThrow(/still hosts 1 project\(s\) \(weather-bot-abc123\)/);
    await world.ports.release('weather-bot-abc123');
    await world.inventory.remove(added.id);
    expect(await world.inventory.list()).toEqual([]);
    expect(world.secrets.names()).toEqual([]);
  });

  it('registers the local machine idempotently, with no key', async () => {
    // Prepare
    const world = setup();

    // Act
    const first = await world.inventory.ensureLocal('/tmp/apps');
    const second = await world.inventory.ensureLocal('/tmp/apps');

    // Assess
    expect(second).toEqual(first);
    expect(first).toMatchObject({ id: 'local', kind: 'local', host: '127.0.0.1', baseDir: '/tmp/apps' });
    expect(await world.inventory.list()).toHaveLength(1);
    await expect(world.inventory.sshKey(first)).rejects.toThrow('without SSH');
  });
});
