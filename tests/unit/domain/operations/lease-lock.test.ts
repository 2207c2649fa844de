import { leaseLockSuite } from '../../../support/lease-lock-suite.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const store = new MemoryStore();
leaseLockSuite('MemoryStore', () => store, 1000);
