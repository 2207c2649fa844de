import { afterAll, beforeAll } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/aws/dynamodb-store.ts';
import { TABLES } from '../../lambdas/config/tables.ts';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';
import {
  ensureTables,
  type RunningDynalite,
  startDynalite,
} from '../../scripts/local-stack/dynalite-server.ts';
import { leaseLockSuite } from '../support/lease-lock-suite.ts';

/** The lease lock on DynamoDbStore against dynalite: real conditional writes over HTTP. */
const tableNames = Object.fromEntries(TABLES.map((t) => [t.name, `lock-${t.name}`])) as Record<
  TableName,
  string
>;
let dynalite: RunningDynalite | undefined;
let store: DynamoDbStore | undefined;

beforeAll(async () => {
  dynalite = await startDynalite(undefined);
  await ensureTables(dynalite.endpoint, tableNames);
  store = new DynamoDbStore({ tableNames, endpoint: dynalite.endpoint });
});

afterAll(async () => {
  await dynalite?.stop();
});

leaseLockSuite('DynamoDbStore on dynalite', () => store as DynamoDbStore, 1000);
