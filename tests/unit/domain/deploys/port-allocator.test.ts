import { describe, expect, it } from 'vitest';
import { PortAllocator, portClaimsOn } from '../../../../lambdas/domain/deploys/port-allocator.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const RANGE = { from: 20000, to: 20004 };

describe('PortAllocator', () => {
  it('gives a project a port in the range, and the same port again when asked twice', async () => {
    // Prepare
    const store = new MemoryStore();
    const ports = new PortAllocator(store);

    // Act
    const first = await ports.allocate('srv', 'p1', RANGE);
    const again = await ports.allocate('srv', 'p1', RANGE);

    // Assess
    expect(first).toBeGreaterThanOrEqual(RANGE.from);
    expect(first).toBeLessThanOrEqual(RANGE.to);
    expect(again).toBe(first);
    expect(await ports.of('p1')).toEqual({ serverId: 'srv', port: first, projectId: 'p1' });
    expect(await portClaimsOn(store, 'srv')).toEqual([{ serverId: 'srv', port: first, projectId: 'p1' }]);
  });

  it('never gives one port to two projects, and says so when the range is full', async () => {
    // Prepare
    const ports = new PortAllocator(new MemoryStore());

    // Act
    const given = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((p) => ports.allocate('srv', p, RANGE)));
    const sixth = await ports.allocate('srv', 'f', RANGE);

    // Assess
    expect(new Set(given).size).toBe(5);
    expect(sixth).toBeUndefined();
  });

  it('recovers a claim whose record a crash never wrote, and leaks nothing on release', async () => {
    // Prepare: the claim is written, the process dies before the record
    const store = new MemoryStore();
    const ports = new PortAllocator(store);
    expect(await ports.claim('srv', 20003, 'p1')).toBe(true);
    expect(await ports.of('p1')).toBeUndefined();

    // Act
    const port = await ports.allocate('srv', 'p1', RANGE);

    // Assess
    expect(port).toBe(20003);
    expect(await portClaimsOn(store, 'srv')).toHaveLength(1);
    await ports.release('p1');
    expect(await portClaimsOn(store, 'srv')).toEqual([]);
    expect(await ports.of('p1')).toBeUndefined();
  });

  it('releases an unrecorded claim on the servers it is told about', async () => {
    // Prepare
    const store = new MemoryStore();
    const ports = new PortAllocator(store);
    await ports.claim('srv', 20001, 'p1');

    // Act
    await ports.release('p1', ['srv', 'other']);

    // Assess
    expect(await portClaimsOn(store, 'srv')).toEqual([]);
  });

  it('keeps one port when two allocations of one project race', async () => {
    // Prepare
    const store = new MemoryStore();
    const ports = new PortAllocator(store);

    // Act
    const [a, b] = await Promise.all([
      ports.allocate('srv', 'p1', RANGE),
      ports.allocate('srv', 'p1', RANGE),
    ]);

    // Assess
    const claims = await portClaimsOn(store, 'srv');
    expect(claims).toHaveLength(1);
    expect((await ports.of('p1'))?.port).toBe(claims[0]?.port);
    expect([a, b]).toContain(claims[0]?.port);
  });
});
