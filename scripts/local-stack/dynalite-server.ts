import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
// dynalite ships no types; its default export is a factory returning an http.Server.
// @ts-expect-error no declaration file
import dynalite from 'dynalite';
import { KEY_ATTRIBUTES, TABLES } from '../../lambdas/config/tables.ts';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';

export interface RunningDynalite {
  endpoint: string;
  stop(): Promise<void>;
}

/** dynalite on loopback, persisting to LevelDB under `dir` (or in memory when dir is undefined). */
export async function startDynalite(dir: string | undefined, port = 0): Promise<RunningDynalite> {
  if (dir) await mkdir(dir, { recursive: true, mode: 0o700 });
  const server: Server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Creates the tables of tables.ts that do not exist yet, as CDK would in AWS. */
export async function ensureTables(endpoint: string, tableNames: Record<TableName, string>): Promise<void> {
  const client = new DynamoDBClient({ endpoint });
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const spec of TABLES) {
      const name = tableNames[spec.name];
      if (existing.has(name)) continue;
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: KEY_ATTRIBUTES.partition, AttributeType: 'S' },
            { AttributeName: KEY_ATTRIBUTES.sort, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: KEY_ATTRIBUTES.partition, KeyType: 'HASH' },
            { AttributeName: KEY_ATTRIBUTES.sort, KeyType: 'RANGE' },
          ],
        }),
      );
    }
  } finally {
    client.destroy();
  }
}
